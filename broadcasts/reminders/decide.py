"""What is due to be reminded, decided from the database, and claimed once in a ledger.

Scheduled jobs only *drive* this module (STYLE.md, practice 6): on each tick it works out,
for every reporting unit and open period, which reminder stage has come and not been sent,
and for every parent unit, which escalation is due. A row in `reminder_ledger` (unique per
kind, unit, period and stage) is inserted before anything is sent, so each reminder goes out
once, after restarts and with two processes on one database. A submitted report simply makes
its unit stop being due.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.periods import SCHEDULE_FILE, Level, OpenPeriod, Schedule
from bot.services.reporting.reports import COUNTED
from storage.claims import insert_if_absent
from storage.models import ReminderLedger, Report, Unit

REMIND, ESCALATE, DIGEST = "remind", "escalate", "digest"


def _clock_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class ReminderPolicy:
    """When reminders fall due and when nothing may be sent (all in local time)."""

    before_days: tuple[int, ...] = (3, 1, 0)
    send_at: time = time(8, 0)
    escalate_every_days: int = 3
    digest_weekday: int = 0
    quiet_start: time = time(21, 0)
    quiet_end: time = time(7, 0)
    skip_weekends: bool = False
    holidays: frozenset[date] = frozenset()
    tz_name: str = "Asia/Ho_Chi_Minh"

    @classmethod
    def load(cls, path: Path = SCHEDULE_FILE, tz_name: str = "Asia/Ho_Chi_Minh") -> ReminderPolicy:
        data = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("reminders") or {}
        quiet = data.get("quiet_hours", ["21:00", "07:00"])
        return cls(
            before_days=tuple(sorted((int(d) for d in data.get("before_days", (3, 1, 0))), reverse=True)),
            send_at=_clock_time(str(data.get("send_at", "08:00"))),
            escalate_every_days=int(data.get("escalate_every_days", 3)),
            digest_weekday=int(data.get("digest_weekday", 0)),
            quiet_start=_clock_time(str(quiet[0])),
            quiet_end=_clock_time(str(quiet[1])),
            skip_weekends=bool(data.get("skip_weekends", False)),
            holidays=frozenset(date.fromisoformat(str(d)) for d in data.get("holidays") or ()),
            tz_name=tz_name,
        )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tz_name)

    def may_send(self, moment: datetime) -> bool:
        """False in quiet hours, on listed holidays and (if set) at weekends."""
        local = moment.astimezone(self.tz)
        clock = local.time()
        if self.quiet_start > self.quiet_end:
            quiet = clock >= self.quiet_start or clock < self.quiet_end
        else:
            quiet = self.quiet_start <= clock < self.quiet_end
        if quiet or local.date() in self.holidays:
            return False
        return not (self.skip_weekends and local.weekday() >= 5)

    def at(self, day: date) -> datetime:
        return datetime.combine(day, self.send_at, tzinfo=self.tz).astimezone(UTC)

    def officer_stage(self, deadline: datetime, moment: datetime) -> str | None:
        """The latest officer stage that has come: 'before-3d', 'before-1d', 'before-0d', 'overdue'."""
        day = deadline.astimezone(self.tz).date()
        stages = [(f"before-{d}d", self.at(day - timedelta(days=d))) for d in self.before_days]
        stages.append(("overdue", self.at(day + timedelta(days=1))))
        reached = [name for name, when in stages if when <= moment]
        return reached[-1] if reached else None

    def escalation_stage(self, deadline: datetime, moment: datetime) -> str | None:
        """'overdue-1' the morning after the deadline, then 'overdue-2' N days later, and so on."""
        first = self.at(deadline.astimezone(self.tz).date() + timedelta(days=1))
        if moment < first:
            return None
        return f"overdue-{(moment - first).days // self.escalate_every_days + 1}"

    def week_key(self, moment: datetime) -> str | None:
        """The ISO week whose digest is due now, or None before the digest's day and hour."""
        local = moment.astimezone(self.tz)
        if local.weekday() != self.digest_weekday or moment < self.at(local.date()):
            return None
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Due:
    """One reminder to send, once: `kind` says to whom (officers, admins above, province)."""

    kind: str
    unit_id: int
    period_key: str
    stage: str
    open_period: OpenPeriod | None = None
    missing: tuple[int, ...] = field(default=())  # escalations: the units that have not reported

    @property
    def ledger_key(self) -> tuple[str, int, str, str]:
        return (self.kind, self.unit_id, self.period_key, self.stage)


@dataclass(frozen=True)
class UnitInfo:
    id: int
    parent_id: int | None
    name: str
    level: Level


async def load_units(session: AsyncSession) -> dict[int, UnitInfo]:
    """Every unit with its reporting level, in one query (levels follow from who has children)."""
    rows = (await session.execute(select(Unit.id, Unit.parent_id, Unit.name))).all()
    parents = {parent for _, parent, _ in rows if parent is not None}
    infos = {}
    for unit_id, parent_id, name in rows:
        level = Level.PROVINCE if parent_id is None else Level.DISTRICT if unit_id in parents else Level.COMMUNE
        infos[unit_id] = UnitInfo(unit_id, parent_id, name, level)
    return infos


async def find_due(
    session: AsyncSession, now: datetime, schedule: Schedule, policy: ReminderPolicy
) -> list[Due]:
    """Everything whose time has come and that the ledger has not seen, in a few queries."""
    if not policy.may_send(now):
        return []
    units = await load_units(session)
    open_by_level = {level: schedule.open_periods(level, now) for level in (Level.COMMUNE, Level.DISTRICT)}
    keys = {o.period.key for periods in open_by_level.values() for o in periods}
    week = policy.week_key(now)
    done = await _reported(session, keys)
    sent = await _ledger(session, keys | ({week} if week else set()))
    due: list[Due] = []
    missing_by_parent: dict[tuple[int, str], list[int]] = defaultdict(list)
    open_of: dict[str, OpenPeriod] = {}
    for unit in units.values():
        for open_period in open_by_level.get(unit.level, ()):
            key = open_period.period.key
            if (unit.id, key) in done:
                continue
            stage = policy.officer_stage(open_period.deadline, now)
            if stage and (REMIND, unit.id, key, stage) not in sent:
                due.append(Due(REMIND, unit.id, key, stage, open_period))
            if now > open_period.deadline and unit.parent_id is not None:
                missing_by_parent[(unit.parent_id, key)].append(unit.id)
                open_of[key] = open_period
    for (parent_id, key), missing in missing_by_parent.items():
        stage = policy.escalation_stage(open_of[key].deadline, now)
        if stage and (ESCALATE, parent_id, key, stage) not in sent:
            due.append(Due(ESCALATE, parent_id, key, stage, open_of[key], tuple(sorted(missing))))
    if week:
        for unit in units.values():
            if unit.level == Level.PROVINCE and (DIGEST, unit.id, week, "weekly") not in sent:
                due.append(Due(DIGEST, unit.id, week, "weekly"))
    return due


async def _reported(session: AsyncSession, keys: set[str]) -> set[tuple[int, str]]:
    if not keys:
        return set()
    rows = await session.execute(
        select(Report.unit_id, Report.period_key).where(Report.period_key.in_(keys), Report.status.in_(COUNTED))
    )
    return {(unit_id, key) for unit_id, key in rows.all()}


async def _ledger(session: AsyncSession, keys: set[str]) -> set[tuple[str, int, str, str]]:
    if not keys:
        return set()
    rows = await session.execute(
        select(ReminderLedger.kind, ReminderLedger.unit_id, ReminderLedger.period_key, ReminderLedger.stage).where(
            ReminderLedger.period_key.in_(keys)
        )
    )
    return {tuple(row) for row in rows.all()}


async def claim(session: AsyncSession, due: Due, now: datetime) -> bool:
    """Insert the ledger row; True only for the one process (or tick) that inserted it."""
    kind, unit_id, period_key, stage = due.ledger_key
    return await insert_if_absent(
        session, ReminderLedger, kind=kind, unit_id=unit_id, period_key=period_key, stage=stage, claimed_at=now
    )
