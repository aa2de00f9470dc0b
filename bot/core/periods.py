"""Reporting periods (month, quarter, half-year, year) and their deadlines.

Deadlines are configuration (`bot/core/forms/schedule.yaml`), not code: by default communes
report by the 18th of the period's last month, districts by the 20th, so that the level above
can roll the lower ones up. A period opens for filing on a set day of its last month and stays
open after its deadline for a grace window, during which a report is accepted and flagged late.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.core.forms import FORMS_DIR

SCHEDULE_FILE = FORMS_DIR / "schedule.yaml"
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


class PeriodKind(enum.StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    YEAR = "year"


MONTHS_IN = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.HALF: 6, PeriodKind.YEAR: 12}
_KEY = re.compile(r"^(\d{4})(?:-(\d{2})|-Q([1-4])|-H([12]))?$")


@dataclass(frozen=True, order=True)
class Period:
    """A span of whole months: `index` counts months, quarters or halves within `year`."""

    year: int
    kind: PeriodKind
    index: int = 1

    @classmethod
    def containing(cls, kind: PeriodKind, day: date) -> Period:
        return cls(day.year, kind, (day.month - 1) // MONTHS_IN[kind] + 1)

    @classmethod
    def parse(cls, key: str) -> Period:
        """'2026-10', '2026-Q4', '2026-H2' or '2026'."""
        match = _KEY.match(key.strip().upper())
        if not match:
            raise ValueError(f"not a period: {key!r}")
        year, month, quarter, half = match.groups()
        if month:
            if not 1 <= int(month) <= 12:
                raise ValueError(f"not a month: {key!r}")
            return cls(int(year), PeriodKind.MONTH, int(month))
        if quarter:
            return cls(int(year), PeriodKind.QUARTER, int(quarter))
        if half:
            return cls(int(year), PeriodKind.HALF, int(half))
        return cls(int(year), PeriodKind.YEAR, 1)

    @property
    def key(self) -> str:
        return {
            PeriodKind.MONTH: f"{self.year}-{self.index:02d}",
            PeriodKind.QUARTER: f"{self.year}-Q{self.index}",
            PeriodKind.HALF: f"{self.year}-H{self.index}",
            PeriodKind.YEAR: f"{self.year}",
        }[self.kind]

    @property
    def label(self) -> str:
        """How people say it: 'Tháng 10/2026', 'Quý IV/2026', '6 tháng đầu năm 2026', 'Năm 2026'."""
        if self.kind == PeriodKind.MONTH:
            return f"Tháng {self.index}/{self.year}"
        if self.kind == PeriodKind.QUARTER:
            return f"Quý {ROMAN[self.index]}/{self.year}"
        if self.kind == PeriodKind.HALF:
            return f"6 tháng {'đầu' if self.index == 1 else 'cuối'} năm {self.year}"
        return f"Năm {self.year}"

    @property
    def first_month(self) -> int:
        return (self.index - 1) * MONTHS_IN[self.kind] + 1

    @property
    def last_month(self) -> int:
        return self.first_month + MONTHS_IN[self.kind] - 1

    def months(self) -> list[Period]:
        """The monthly periods this period spans (itself for a month)."""
        return [Period(self.year, PeriodKind.MONTH, m) for m in range(self.first_month, self.last_month + 1)]

    def previous(self) -> Period:
        count = 12 // MONTHS_IN[self.kind]
        if self.index > 1:
            return Period(self.year, self.kind, self.index - 1)
        return Period(self.year - 1, self.kind, count)

    def next(self) -> Period:
        count = 12 // MONTHS_IN[self.kind]
        if self.index < count:
            return Period(self.year, self.kind, self.index + 1)
        return Period(self.year + 1, self.kind, 1)


class Level(enum.StrEnum):
    """What a unit is for reporting: the root receives; districts and communes file."""

    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"


@dataclass(frozen=True)
class OpenPeriod:
    period: Period
    deadline: datetime  # UTC

    def is_late(self, moment: datetime) -> bool:
        return moment > self.deadline


@dataclass(frozen=True)
class Schedule:
    """When each level's reports are due, and the filing window around it."""

    deadline_day: dict[str, int] = field(default_factory=lambda: {"commune": 18, "district": 20})
    data_cut_day: int = 15
    opens_on_day: int = 1
    late_window_days: int = 30
    kinds: tuple[PeriodKind, ...] = tuple(PeriodKind)
    tz_name: str = "Asia/Ho_Chi_Minh"

    @classmethod
    def load(cls, path: Path = SCHEDULE_FILE, tz_name: str = "Asia/Ho_Chi_Minh") -> Schedule:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(
            deadline_day={str(k): int(v) for k, v in data["deadline_day"].items()},
            data_cut_day=int(data.get("data_cut_day", 15)),
            opens_on_day=int(data.get("opens_on_day", 1)),
            late_window_days=int(data.get("late_window_days", 30)),
            kinds=tuple(PeriodKind(k) for k in data.get("kinds", [k.value for k in PeriodKind])),
            tz_name=tz_name,
        )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tz_name)

    def _local(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.tz).astimezone(UTC)

    def deadline(self, period: Period, level: Level | str) -> datetime:
        """The end (23:59:59 local) of the level's deadline day in the period's last month."""
        day = self.deadline_day[str(level)]
        return self._local(date(period.year, period.last_month, day), time(23, 59, 59))

    def days_left(self, deadline: datetime, moment: datetime) -> int:
        """Whole calendar days from `moment` to `deadline`, counted in local dates (negative once
        it has passed): people think of a deadline as a day, not as a number of hours."""
        return (deadline.astimezone(self.tz).date() - moment.astimezone(self.tz).date()).days

    def opens_at(self, period: Period) -> datetime:
        return self._local(date(period.year, period.last_month, self.opens_on_day), time(0, 0))

    def closes_at(self, period: Period, level: Level | str) -> datetime:
        return self.deadline(period, level) + timedelta(days=self.late_window_days)

    def open_periods(self, level: Level | str, moment: datetime) -> list[OpenPeriod]:
        """Periods a unit of this level may file for now, in one fixed order: earliest deadline
        first, and for one deadline the shortest period first (month, quarter, half, year), so a
        list reads the same in /baocao, /hannop and reminders every time."""
        if str(level) not in self.deadline_day:
            return []
        today = moment.astimezone(self.tz).date()
        found: list[OpenPeriod] = []
        for kind in self.kinds:
            current = Period.containing(kind, today)
            for period in (current.previous(), current):
                if self.opens_at(period) <= moment <= self.closes_at(period, level):
                    found.append(OpenPeriod(period, self.deadline(period, level)))
        return sorted(found, key=lambda o: (o.deadline, MONTHS_IN[o.period.kind]))


def period_bounds(period: Period, tz_name: str) -> tuple[datetime, datetime]:
    """[start, end) of a period in UTC, local days."""
    tz = ZoneInfo(tz_name)
    start = date(period.year, period.first_month, 1)
    after = period.next()
    end = date(after.year, after.first_month, 1)
    to_utc = lambda d: datetime.combine(d, time(0), tzinfo=tz).astimezone(UTC)  # noqa: E731
    return to_utc(start), to_utc(end)
