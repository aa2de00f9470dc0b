"""Turning due reminders into notices and sending each once (the scheduler's tick).

`Reminders.tick()` is all a scheduled job calls: find what is due, claim each item in the
ledger (one transaction per batch), then send the notices of the items this process won.
The feature decides who is told what (neutral data below); how a notice reads belongs to the
conversations floor, so the composition root hands in `render` (`handlers.reminders`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.log_ref import chat_ref
from bot.core.messages import Outgoing
from bot.core.meter import NO_METER, Meter
from bot.core.periods import Level, OpenPeriod, Period, Schedule
from bot.services.listening.sentiment import items_in
from bot.services.people.reachable import Reachable, by_unit, reachable
from bot.services.reporting import reports
from bot.services.reporting.rollup import RollUp, rollup
from broadcasts.reminders.decide import DIGEST, ESCALATE, REMIND, Due, ReminderPolicy, claim, find_due
from storage.models import Role, Unit, UrgentIssue

log = logging.getLogger(__name__)
CLAIM_BATCH = 500


@dataclass(frozen=True)
class DeadlineReminder:
    """A reporting unit's officers are reminded of a period's deadline."""

    period: Period
    unit_name: str
    deadline: datetime
    days_left: int | None  # None once the deadline has passed


@dataclass(frozen=True)
class Escalation:
    """A parent unit's admins are told which units below it have not reported."""

    period: Period
    unit_name: str
    deadline: datetime
    missing: tuple[str, ...]  # unit names, in the order decided


@dataclass(frozen=True)
class WeeklyDigest:
    """The province admins' week: each open period's roll-up and what was heard."""

    week: str
    unit_name: str
    rollups: tuple[RollUp, ...]  # one per open period, in schedule order
    heard: int  # feedback and observations in the last seven days
    negative: int  # of which negative in tone
    open_issues: int  # urgent issues not resolved, in the subtree


class RenderReminders(Protocol):
    """One notice to one person's account; the wording lives in `handlers.reminders`."""

    def remind(self, person: Reachable, notice: DeadlineReminder) -> Outgoing: ...

    def escalate(self, person: Reachable, notice: Escalation) -> Outgoing: ...

    def digest(self, person: Reachable, notice: WeeklyDigest) -> Outgoing: ...


class Reminders:
    """Decides, claims and sends reminders; the scheduler calls `tick` every few minutes."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        notify: Callable[[Outgoing], Awaitable[None]],
        clock: Callable[[], datetime],
        schedule: Schedule,
        policy: ReminderPolicy,
        render: RenderReminders,
        meter: Meter = NO_METER,
    ) -> None:
        self.meter = meter
        self.session_factory = session_factory
        self.notify = notify
        self.clock = clock
        self.schedule = schedule
        self.policy = policy
        self.render = render

    async def tick(self) -> int:
        """One pass; returns how many messages were sent."""
        now = self.clock()
        async with self.session_factory() as session:
            due = await find_due(session, now, self.schedule, self.policy)
        messages: list[tuple[str, Outgoing]] = []
        for start in range(0, len(due), CLAIM_BATCH):
            async with self.session_factory() as session, session.begin():
                won = [item for item in due[start : start + CLAIM_BATCH] if await claim(session, item, now)]
                messages += await self._messages(session, won, now)
        for kind, message in messages:
            try:
                await self.notify(message)
            except Exception:
                log.exception("reminder to %s:%s failed", message.platform, chat_ref(message.chat_id))
                continue
            self.meter.reminder_sent(kind)
        return len(messages)

    async def _messages(
        self, session: AsyncSession, items: list[Due], now: datetime
    ) -> list[tuple[str, Outgoing]]:
        """Each notice with its kind (remind, escalate, digest): the kind is what is counted."""
        if not items:
            return []
        wanted = {i.unit_id for i in items} | {m for i in items for m in i.missing}
        names: dict[int, str] = dict(
            (await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(wanted)))).tuples().all()
        )
        officers = by_unit(
            await reachable(session, roles=reports.FILERS, unit_ids={i.unit_id for i in items if i.kind == REMIND})
        )
        out: list[tuple[str, Outgoing]] = []
        for item in items:
            if item.kind == REMIND:
                reminder = _reminder(item, names[item.unit_id])
                out += [(REMIND, self.render.remind(i, reminder)) for i in officers.get(item.unit_id, ())]
            elif item.kind == ESCALATE:
                unit = await session.get_one(Unit, item.unit_id)
                escalation = _escalation(item, unit.name, [names[m] for m in item.missing])
                out += [(ESCALATE, self.render.escalate(i, escalation)) for i in await reports.admins_for(session, unit)]
            elif item.kind == DIGEST:
                unit = await session.get_one(Unit, item.unit_id)
                digest = await weekly_digest(session, self.schedule, unit, item.period_key, now)
                admins = await reachable(session, roles=(Role.PROVINCE_ADMIN,), unit_ids=[unit.id])
                out += [(DIGEST, self.render.digest(i, digest)) for i in admins]
        return out

async def weekly_digest(session: AsyncSession, schedule: Schedule, unit: Unit, week: str, now: datetime) -> WeeklyDigest:
    """Per open period the unit's roll-up; then the week's feedback and the open urgent issues
    (for the chat's digest and the province's mailbox alike)."""
    periods = _unique(o.period for o in schedule.open_periods(Level.COMMUNE, now))
    rollups = tuple([await rollup(session, unit, period) for period in periods])
    heard = await items_in(session, unit, now - timedelta(days=7), now)
    open_issues = await session.scalar(
        select(func.count()).select_from(UrgentIssue).join(Unit, Unit.id == UrgentIssue.unit_id)
        .where(Unit.path.like(f"{unit.path}%"), UrgentIssue.status != "resolved")
    )
    return WeeklyDigest(
        week=week, unit_name=unit.name, rollups=rollups, heard=len(heard),
        negative=sum(1 for h in heard if h.tone == "negative"), open_issues=open_issues or 0,
    )


def _reminder(item: Due, unit_name: str) -> DeadlineReminder:
    """The stage says how many days are left ("before-3d") or that the deadline passed ("overdue")."""
    opened = _open_period(item)
    days = None if item.stage == "overdue" else int(item.stage.removeprefix("before-").removesuffix("d"))
    return DeadlineReminder(opened.period, unit_name, opened.deadline, days)


def _escalation(item: Due, unit_name: str, missing: list[str]) -> Escalation:
    opened = _open_period(item)
    return Escalation(opened.period, unit_name, opened.deadline, tuple(missing))


def _open_period(item: Due) -> OpenPeriod:
    """Reminders and escalations always concern an open period (only digests have none)."""
    if item.open_period is None:
        raise ValueError(f"{item.kind} without an open period")
    return item.open_period


def _unique(periods: Iterable[Period]) -> list[Period]:
    return list(dict.fromkeys(periods))

