"""Turning due reminders into messages and sending each once (the scheduler's tick).

`Reminders.tick()` is all a scheduled job calls: find what is due, claim each item in the
ledger (one transaction per batch), then send the messages of the items this process won.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.buttons import command_button
from bot.core.formatting import local_time
from bot.core.messages import Choice, Outgoing
from bot.services.listening.sentiment import items_in
from bot.services.people.reachable import Reachable, by_unit, reachable
from bot.services.reporting import reports
from bot.services.reporting.periods import Level, OpenPeriod, Period, Schedule
from bot.services.reporting.rollup import ReportState, RollUp, percent, rollup
from broadcasts.reminder_texts import REMINDER
from broadcasts.reminders.decide import DIGEST, ESCALATE, REMIND, Due, ReminderPolicy, claim, find_due
from storage.models import Role, Unit, UrgentIssue

log = logging.getLogger(__name__)
NAMES_SHOWN = 30
CLAIM_BATCH = 500
REPORT_COMMAND = "baocao"


class Reminders:
    """Decides, claims and sends reminders; the scheduler calls `tick` every few minutes."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        notify: Callable[[Outgoing], Awaitable[None]],
        clock: Callable[[], datetime],
        schedule: Schedule,
        policy: ReminderPolicy,
    ) -> None:
        self.session_factory = session_factory
        self.notify = notify
        self.clock = clock
        self.schedule = schedule
        self.policy = policy

    async def tick(self) -> int:
        """One pass; returns how many messages were sent."""
        now = self.clock()
        async with self.session_factory() as session:
            due = await find_due(session, now, self.schedule, self.policy)
        messages: list[Outgoing] = []
        for start in range(0, len(due), CLAIM_BATCH):
            async with self.session_factory() as session, session.begin():
                won = [item for item in due[start : start + CLAIM_BATCH] if await claim(session, item, now)]
                messages += await self._messages(session, won, now)
        for message in messages:
            try:
                await self.notify(message)
            except Exception:
                log.exception("reminder to %s:%s failed", message.platform, message.chat_id)
        return len(messages)

    async def _messages(self, session: AsyncSession, items: list[Due], now: datetime) -> list[Outgoing]:
        if not items:
            return []
        wanted = {i.unit_id for i in items} | {m for i in items for m in i.missing}
        names: dict[int, str] = dict(
            (await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(wanted)))).tuples().all()
        )
        officers = by_unit(
            await reachable(session, roles=reports.FILERS, unit_ids={i.unit_id for i in items if i.kind == REMIND})
        )
        out: list[Outgoing] = []
        for item in items:
            if item.kind == REMIND:
                text = self._remind_text(item, names[item.unit_id], now)
                button = (Choice(command_button(f"{REPORT_COMMAND} {item.period_key}"), REMINDER["button"]),)
                out += [_to(i, text, button) for i in officers.get(item.unit_id, ())]
            elif item.kind == ESCALATE:
                unit = await session.get_one(Unit, item.unit_id)
                text = self._escalate_text(item, unit.name, [names[m] for m in item.missing])
                out += [_to(i, text) for i in await reports.admins_for(session, unit)]
            elif item.kind == DIGEST:
                unit = await session.get_one(Unit, item.unit_id)
                text = await self._digest_text(session, item, unit, now)
                admins = await reachable(session, roles=(Role.PROVINCE_ADMIN,), unit_ids=[unit.id])
                out += [_to(i, text) for i in admins]
        return out

    def _remind_text(self, item: Due, unit_name: str, now: datetime) -> str:
        deadline = _open_period(item).deadline
        common = {
            "period": _open_period(item).period.label,
            "unit": unit_name,
            "deadline": local_time(deadline, self.policy.tz_name),
        }
        if item.stage == "overdue":
            return REMINDER["overdue"].format(**common)
        days = int(item.stage.removeprefix("before-").removesuffix("d"))
        if days == 0:
            return REMINDER["today"].format(**common)
        return REMINDER["before"].format(days=days, **common)

    def _escalate_text(self, item: Due, unit_name: str, missing: list[str]) -> str:
        shown = [f"- {name}" for name in missing[:NAMES_SHOWN]]
        if len(missing) > NAMES_SHOWN:
            shown.append(REMINDER["more"].format(count=len(missing) - NAMES_SHOWN))
        return REMINDER["escalate"].format(
            unit=unit_name,
            period=_open_period(item).period.label,
            deadline=local_time(_open_period(item).deadline, self.policy.tz_name),
            names="\n".join(shown),
        )

    async def _digest_text(self, session: AsyncSession, item: Due, unit: Unit, now: datetime) -> str:
        """Per open period: the province's rates, then each child unit with units below it."""
        lines = [REMINDER["digest_title"].format(week=item.period_key, unit=unit.name)]
        periods = _unique(o.period for o in self.schedule.open_periods(Level.COMMUNE, now))
        if not periods:
            lines.append(REMINDER["digest_none"])
        for period in periods:
            result = await rollup(session, unit, period)
            lines.append(_tally_line(period, result))
            with_subtree = [c for c in result.children if c.subtree is not None]
            if with_subtree:
                lines.append(REMINDER["digest_children"].format(period=period.label))
                lines += [
                    REMINDER["digest_child"].format(name=c.name, reported=c.area.submitted, expected=c.area.expected)
                    for c in with_subtree
                ]
        lines += await self._listening_lines(session, unit, now)
        return "\n".join(lines)

    async def _listening_lines(self, session: AsyncSession, unit: Unit, now: datetime) -> list[str]:
        """The week's feedback and observations, and urgent issues still open."""
        heard = await items_in(session, unit, now - timedelta(days=7), now)
        negative = sum(1 for item in heard if item.tone == "negative")
        open_issues = await session.scalar(
            select(func.count()).select_from(UrgentIssue).join(Unit, Unit.id == UrgentIssue.unit_id)
            .where(Unit.path.like(f"{unit.path}%"), UrgentIssue.status != "resolved")
        )
        return [REMINDER["digest_heard"].format(count=len(heard), negative=negative),
                REMINDER["digest_issues"].format(count=open_issues or 0)]


def _tally_line(period: Period, result: RollUp) -> str:
    return REMINDER["digest_line"].format(
        period=period.label,
        reported=result.submitted,
        expected=result.expected,
        rate=percent(result.reporting_rate),
        on_time=result.counts[ReportState.ON_TIME],
        late=result.counts[ReportState.LATE],
        missing=result.not_submitted + result.counts[ReportState.RETURNED],
    )


def _open_period(item: Due) -> OpenPeriod:
    """Reminders and escalations always concern an open period (only digests have none)."""
    if item.open_period is None:
        raise ValueError(f"{item.kind} without an open period")
    return item.open_period


def _unique(periods: Iterable[Period]) -> list[Period]:
    return list(dict.fromkeys(periods))


def _to(person: Reachable, text: str, choices: tuple[Choice, ...] = ()) -> Outgoing:
    return Outgoing(text, choices=choices, chat_id=person.chat_id, platform=person.platform)
