"""What goes to the units' mailboxes, decided from the database on each tick (like reminders).

- An urgent issue: to the mailboxes of the units its chat alert goes to (the province and the
  unit above), once, if it was raised in the last `ISSUE_WINDOW` (a mailbox set today does not
  receive last year's issues).
- The weekly digest: to the province's mailbox, once per ISO week, when the chat's digest is due.
- The end of a period: when the deadline of the reports a unit receives has passed, the period's
  Excel export of its subtree, to the province's and each district's mailbox, once; only for a
  deadline in the last `EXPORT_WINDOW`.

Whether a mail was already queued is the ledger's (`broadcasts.mail.outbox.queue`); a quick look
first spares building a digest or a workbook that is already there. How a mail reads belongs to
the conversations floor: the composition root hands in `render` (`handlers.mail.MailWording`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.periods import Level, Period, Schedule
from bot.services.listening.feedback import load_config as load_feedback_config
from bot.services.reporting.export import workbook
from broadcasts.mail.outbox import Letter, queue, queued_units
from broadcasts.reminders.decide import ReminderPolicy
from broadcasts.reminders.send import WeeklyDigest, weekly_digest
from storage.models import Unit, UrgentIssue

ISSUE, DIGEST, EXPORT = "issue", "digest", "export"
ISSUE_WINDOW = timedelta(days=2)
EXPORT_WINDOW = timedelta(days=14)


@dataclass(frozen=True)
class IssueMail:
    """An urgent issue, as its mail tells it (the reporter's name stays in the chat)."""

    reference: str
    unit_name: str
    category: str  # its label
    text: str
    created_at: datetime


@dataclass(frozen=True)
class PeriodExport:
    """A period's reports of a unit's subtree, sent when their deadline has passed."""

    period: Period
    unit_name: str
    deadline: datetime
    rows: int


class RenderMail(Protocol):
    """Subject and body of each mail; the wording lives in `handlers.mail`."""

    def issue(self, notice: IssueMail) -> tuple[str, str]: ...

    def digest(self, notice: WeeklyDigest) -> tuple[str, str]: ...

    def export(self, notice: PeriodExport) -> tuple[str, str]: ...


class MailQueue:
    """Queues what is due for the mailboxes; the scheduler calls `tick` before sending."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime],
        schedule: Schedule,
        policy: ReminderPolicy,
        render: RenderMail,
    ) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self.schedule = schedule
        self.policy = policy
        self.render = render

    async def tick(self) -> int:
        """One pass; returns how many mails were queued."""
        now = self.clock()
        async with self.session_factory() as session:
            mailboxes = list((await session.execute(select(Unit).where(Unit.email.is_not(None)))).scalars())
        if not mailboxes:
            return 0
        return (
            await self._issues(mailboxes, now)
            + await self._digests(mailboxes, now)
            + await self._exports(mailboxes, now)
        )

    async def _issues(self, mailboxes: list[Unit], now: datetime) -> int:
        by_code = {u.code: u for u in mailboxes}
        labels = load_feedback_config()
        queued = 0
        async with self.session_factory() as session, session.begin():
            issues = (await session.execute(
                select(UrgentIssue).where(UrgentIssue.created_at >= now - ISSUE_WINDOW).order_by(UrgentIssue.id)
            )).scalars().all()
            done = await queued_units(session, ISSUE, {str(i.id) for i in issues})
            for issue in issues:
                for unit in _alerted(issue.unit, by_code):
                    if (str(issue.id), unit.id) in done:
                        continue
                    notice = IssueMail(issue.reference, issue.unit.name, labels.category_label(issue.category),
                                       issue.text, issue.created_at)
                    subject, body = self.render.issue(notice)
                    queued += await queue(session, Letter(ISSUE, str(issue.id), subject, body), unit, now)
        return queued

    async def _digests(self, mailboxes: list[Unit], now: datetime) -> int:
        week = self.policy.week_key(now)
        provinces = [u for u in mailboxes if u.parent_id is None]
        if week is None or not provinces or not self.policy.may_send(now):
            return 0
        queued = 0
        async with self.session_factory() as session, session.begin():
            done = await queued_units(session, DIGEST, {week})
            for unit in provinces:
                if (week, unit.id) in done:
                    continue
                subject, body = self.render.digest(await weekly_digest(session, self.schedule, unit, week, now))
                queued += await queue(session, Letter(DIGEST, week, subject, body), unit, now)
        return queued

    async def _exports(self, mailboxes: list[Unit], now: datetime) -> int:
        queued = 0
        for unit in mailboxes:
            level = await _received_level(self.session_factory, unit)
            if level is None:
                continue  # a commune receives no reports
            for period in self._just_closed(level, now):
                queued += await self._export(unit, period, level, now)
        return queued

    def _just_closed(self, level: Level, now: datetime) -> list[Period]:
        """Periods whose deadline for `level` passed within the last EXPORT_WINDOW."""
        today = now.astimezone(self.schedule.tz).date()
        found = []
        for kind in self.schedule.kinds:
            current = Period.containing(kind, today)
            for period in (current.previous(), current):
                deadline = self.schedule.deadline(period, level)
                if deadline < now <= deadline + EXPORT_WINDOW:
                    found.append(period)
        return found

    async def _export(self, unit: Unit, period: Period, level: Level, now: datetime) -> int:
        async with self.session_factory() as session, session.begin():
            if (period.key, unit.id) in await queued_units(session, EXPORT, {period.key}):
                return 0
            current = await session.get_one(Unit, unit.id)
            document, rows = await workbook(session, current, period, self.schedule.tz_name)
            notice = PeriodExport(period, current.name, self.schedule.deadline(period, level), rows)
            subject, body = self.render.export(notice)
            return int(await queue(session, Letter(EXPORT, period.key, subject, body, document), current, now))


def _alerted(unit: Unit, mailboxes: dict[str, Unit]) -> Iterable[Unit]:
    """The mailboxes of the province (the root of the issue's path) and of the unit above it."""
    codes = unit.path.strip("/").split("/")
    wanted = dict.fromkeys(c for c in (codes[0], codes[-2] if len(codes) > 1 else None) if c and c != unit.code)
    return [mailboxes[c] for c in wanted if c in mailboxes]


async def _received_level(session_factory: async_sessionmaker[AsyncSession], unit: Unit) -> Level | None:
    """The level whose reports the unit receives: districts' when it has units with units below
    them (a three-tier province), else communes'; None for a unit with no units below it."""
    async with session_factory() as session:
        children = list((await session.execute(select(Unit.id).where(Unit.parent_id == unit.id))).scalars())
        if not children:
            return None
        grandchild = await session.scalar(select(Unit.id).where(Unit.parent_id.in_(children)).limit(1))
    return Level.DISTRICT if grandchild is not None else Level.COMMUNE
