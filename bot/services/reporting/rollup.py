"""One period's reports rolled up over a subtree: the province's at-a-glance view (`/tiendo`).

The roll-up is figures; how `/tiendo` words them is `handlers.rollup_text`.

The measures are DHIS2's: the *reporting rate* is the share of expected reports that have been
sent up, the *on-time rate* the share sent up by the deadline. Every unit strictly below the
viewed unit is expected to report (a district files its own report besides its communes').

It must stay fast for the whole country (3,355 units), so it runs a constant number of
queries (the subtree's units, then that period's reports of the subtree) and aggregates in
Python, instead of one query per child.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.forms import form_for
from bot.core.periods import Period
from bot.services.people.units import fold, name_sort_key
from bot.services.reporting.reports import COUNTED
from storage.models import Report, ReportStatus, Unit


class ReportState(StrEnum):
    """Where one unit stands for a period, as the level above sees it."""

    ON_TIME = "on_time"  # submitted or accepted by the deadline
    LATE = "late"  # submitted or accepted after the deadline
    RETURNED = "returned"  # sent back for correction: not counted until resubmitted
    DRAFT = "draft"  # started, not sent
    MISSING = "missing"  # no report at all


# Order of the "needs attention" list: the most urgent first.
ATTENTION = (ReportState.MISSING, ReportState.DRAFT, ReportState.RETURNED, ReportState.LATE)


def state_of(status: str | None, late: bool) -> ReportState:
    """A report's state; a sent report is late or on time by the flag set when it was submitted."""
    if status is None:
        return ReportState.MISSING
    if status in COUNTED:
        return ReportState.LATE if late else ReportState.ON_TIME
    if status == ReportStatus.RETURNED:
        return ReportState.RETURNED
    return ReportState.DRAFT


def _zero_counts() -> dict[ReportState, int]:
    return dict.fromkeys(ReportState, 0)


class _Rates:
    """Rates derived from `expected` and `counts`, shared by the whole roll-up and each child."""

    expected: int
    counts: dict[ReportState, int]

    @property
    def submitted(self) -> int:
        """Reports sent up and not sent back (on time or late)."""
        return self.counts[ReportState.ON_TIME] + self.counts[ReportState.LATE]

    @property
    def not_submitted(self) -> int:
        """Expected reports not sent: drafts included, returned ones counted on their own."""
        return self.counts[ReportState.MISSING] + self.counts[ReportState.DRAFT]

    @property
    def reporting_rate(self) -> float:
        return self.submitted / self.expected if self.expected else 0.0

    @property
    def on_time_rate(self) -> float:
        return self.counts[ReportState.ON_TIME] / self.expected if self.expected else 0.0


@dataclass
class Tally(_Rates):
    """Counts per state over a set of expected reports."""

    expected: int = 0
    counts: dict[ReportState, int] = field(default_factory=_zero_counts)

    def add(self, state: ReportState, number: int = 1) -> None:
        self.expected += number
        self.counts[state] += number


@dataclass
class ChildRow:
    """A direct child: its own report, and for a child with units below it, their tally."""

    code: str
    name: str
    state: ReportState
    submitted_at: datetime | None
    report_id: int | None
    subtree: Tally | None = None  # None for a leaf; else the units strictly below the child

    @property
    def area(self) -> Tally:
        """The child's own report plus its subtree's: what the child's bar in a chart shows."""
        tally = Tally(expected=1, counts={**_zero_counts(), self.state: 1})
        if self.subtree is not None:
            for state, number in self.subtree.counts.items():
                tally.add(state, number)
        return tally


@dataclass
class RollUp(_Rates):
    """The roll-up of one period under one unit.

    `totals` sums every summable answer of the counted (submitted or accepted) reports of the
    whole subtree. That does not double-count: a district's own report holds the district's
    own activities, not a copy of its communes' numbers.
    """

    unit_code: str
    unit_name: str
    period: Period
    expected: int
    counts: dict[ReportState, int]
    totals: dict[str, int]
    children: list[ChildRow]


@dataclass(frozen=True)
class _ReportRow:
    id: int
    unit_id: int
    state: ReportState
    status: str
    submitted_at: datetime | None
    form_id: str
    form_version: str
    answers: dict[str, Any]


# --------------------------------------------------------------------------- queries


def below(unit: Unit) -> ColumnElement[bool]:
    """Units strictly below `unit`: one indexed LIKE on the materialized path."""
    escaped = unit.path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return and_(Unit.path.like(f"{escaped}%", escape="\\"), Unit.id != unit.id)


def in_period(period: Period) -> ColumnElement[bool]:
    return and_(Report.period_kind == period.kind, Report.period_key == period.key)


async def _subtree_units(session: AsyncSession, unit: Unit) -> list[tuple[int, str, str, str, int | None]]:
    """(id, code, name, path, parent id) of every unit below."""
    result = await session.execute(
        select(Unit.id, Unit.code, Unit.name, Unit.path, Unit.parent_id).where(below(unit))
    )
    return [tuple(row) for row in result]


async def _subtree_reports(session: AsyncSession, unit: Unit, period: Period) -> dict[int, _ReportRow]:
    """The period's reports of the subtree, by unit id; answers are only read for counted ones."""
    result = await session.execute(
        select(
            Report.id, Report.unit_id, Report.status, Report.late, Report.submitted_at,
            Report.form_id, Report.form_version, Report.answers,
        )
        .join(Unit, Unit.id == Report.unit_id)
        .where(below(unit), in_period(period))
    )
    reports: dict[int, _ReportRow] = {}
    for id_, unit_id, status, late, submitted_at, form_id, version, answers in result:
        state = state_of(status, bool(late))
        counted = state in (ReportState.ON_TIME, ReportState.LATE)
        reports[unit_id] = _ReportRow(
            id_, unit_id, state, status, submitted_at, form_id, version, (answers or {}) if counted else {}
        )
    return reports


# --------------------------------------------------------------------------- aggregation


async def rollup(session: AsyncSession, unit: Unit, period: Period) -> RollUp:
    """The roll-up of `period` under `unit`: two queries, whatever the size of the subtree."""
    units = await _subtree_units(session, unit)
    return _rollup_of(unit, period, units, await _subtree_reports(session, unit, period))


def _rollup_of(
    unit: Unit, period: Period, units: list[tuple[int, str, str, str, int | None]], reports: dict[int, _ReportRow]
) -> RollUp:
    depth = unit.path.strip("/").count("/") + 1  # index of the direct child's code in a path
    overall = Tally()
    children: dict[str, ChildRow] = {}
    subtrees: dict[str, Tally] = {}
    for unit_id, code, name, path, _ in units:
        report = reports.get(unit_id)
        state = report.state if report else ReportState.MISSING
        overall.add(state)
        segments = path.strip("/").split("/")
        if len(segments) == depth + 1:
            children[code] = ChildRow(
                code, name, state, report.submitted_at if report else None, report.id if report else None
            )
        else:
            tally = subtrees.get(segments[depth])
            if tally is None:  # not setdefault: its Tally() would be built for every unit of the country
                tally = subtrees[segments[depth]] = Tally()
            tally.add(state)
    for code, tally in subtrees.items():
        if code in children:
            children[code].subtree = tally
    return RollUp(
        unit_code=unit.code,
        unit_name=unit.name,
        period=period,
        expected=overall.expected,
        counts=overall.counts,
        totals=_sum_answers(reports.values()),
        children=sorted(children.values(), key=lambda child: natural_key(child.name)),
    )


def _sum_answers(reports: Iterable[_ReportRow]) -> dict[str, int]:
    """Sum the summable answers of counted reports, each by the questions of its own form version."""
    summable: dict[tuple[str, str], list[str]] = {}
    totals: dict[str, int] = {}
    for report in reports:
        if report.state not in (ReportState.ON_TIME, ReportState.LATE):
            continue
        form_key = (report.form_id, report.form_version)
        if form_key not in summable:
            summable[form_key] = form_for(*form_key).summable_keys
        for key in summable[form_key]:
            value = report.answers.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                totals[key] = totals.get(key, 0) + value
    return totals


_folded = lru_cache(maxsize=16384)(fold)
natural_key = name_sort_key  # accent-insensitive, numbers read as numbers ("Phường 2" before "Phường 10")


def percent(rate: float) -> str:
    """'88,7%' as Vietnamese writes it; rounded down so an unfinished count never shows 100%."""
    tenths = math.floor(rate * 1000 + 1e-9)
    whole, tenth = divmod(tenths, 10)
    return f"{whole}%" if tenth == 0 else f"{whole},{tenth}%"


def number(value: int) -> str:
    """'12.345': Vietnamese groups thousands with a dot."""
    return f"{value:,}".replace(",", ".")


# --------------------------------------------------------------------------- every unit, one page at a time


class Sort(StrEnum):
    """How the list of units is ordered."""

    NAME = "name"  # by name, numbers read as numbers
    STATE = "state"  # the most urgent first (ATTENTION), then on time
    SUBMITTED = "submitted"  # by sending time, units that sent nothing last


@dataclass(frozen=True)
class UnitStatus:
    """One unit below the viewed one, and where its report for the period stands."""

    unit_id: int
    code: str
    name: str
    parent_name: str
    area_code: str  # the viewed unit's child this unit is in (itself for a child)
    state: ReportState
    status: str | None  # the report's own status (draft, submitted, accepted, returned), None if none
    submitted_at: datetime | None
    report_id: int | None


@dataclass(frozen=True)
class Area:
    """A child of the viewed unit with units below it (a district): what the list can be narrowed to."""

    code: str
    name: str


@dataclass
class StatusPage:
    rows: list[UnitStatus]
    total: int  # units that match the filters (all pages)
    page: int
    pages: int
    areas: list[Area]  # empty when every child is a leaf (a province without districts)


_STATE_ORDER = {state: index for index, state in enumerate((*ATTENTION, ReportState.ON_TIME))}


async def unit_statuses(
    session: AsyncSession, unit: Unit, period: Period, *, state: ReportState | None = None,
    area: str | None = None, search: str = "", sort: Sort = Sort.NAME, descending: bool = False,
    page: int = 1, per_page: int = 50,
) -> StatusPage:
    """Every unit below `unit` with its state for `period`, filtered, ordered, one page of it.

    Two queries (the units below, the period's reports below), as the roll-up makes, whatever
    the database's statistics say of a join; the filtering is done here because a name is
    matched without diacritics ("tan hoa" finds "Tân Hòa"), as `search_units` matches them.
    """
    units = await _subtree_units(session, unit)
    reports = await _subtree_reports(session, unit, period)
    return _statuses_of(unit, units, reports, state=state, area=area, search=search, sort=sort,
                        descending=descending, page=page, per_page=per_page)


async def rollup_and_statuses(
    session: AsyncSession, unit: Unit, period: Period, **filters: Any
) -> tuple[RollUp, StatusPage]:
    """`rollup` and `unit_statuses` of one period from one reading of the units and reports
    (the overview shows both: reading the country's 3,356 units twice cost a third of it)."""
    units = await _subtree_units(session, unit)
    reports = await _subtree_reports(session, unit, period)
    return _rollup_of(unit, period, units, reports), _statuses_of(unit, units, reports, **filters)


def _statuses_of(
    unit: Unit, units: list[tuple[int, str, str, str, int | None]], reports: dict[int, _ReportRow], *,
    state: ReportState | None = None, area: str | None = None, search: str = "", sort: Sort = Sort.NAME,
    descending: bool = False, page: int = 1, per_page: int = 50,
) -> StatusPage:
    unit_names: dict[int | None, str] = {unit_id: name for unit_id, _, name, _, _ in units}
    unit_names[unit.id] = unit.name
    depth = unit.path.strip("/").count("/") + 1
    rows: list[UnitStatus] = []
    with_units_below: set[str] = set()
    names: dict[str, str] = {}
    for unit_id, code, name, path, parent_id in units:
        segments = path.strip("/").split("/")
        if len(segments) == depth + 1:
            names[code] = name
        else:
            with_units_below.add(segments[depth])
        report = reports.get(unit_id)
        status = report.status if report else None
        sent = status is not None and status != ReportStatus.DRAFT
        rows.append(UnitStatus(
            unit_id, code, name, unit_names.get(parent_id, ""), segments[depth],
            report.state if report else ReportState.MISSING, status,
            report.submitted_at if report and sent else None, report.id if report else None,
        ))
    areas = sorted((Area(code, names[code]) for code in with_units_below if code in names),
                   key=lambda found: natural_key(found.name))
    needle = fold(search)
    chosen = [
        row for row in rows
        if (state is None or row.state == state) and (not area or row.area_code == area)
        and (not needle or needle in _folded(row.name))
    ]
    chosen.sort(key=_sort_key(sort), reverse=descending)
    pages = max(1, math.ceil(len(chosen) / per_page))
    page = min(max(1, page), pages)
    start = (page - 1) * per_page
    return StatusPage(chosen[start:start + per_page], len(chosen), page, pages, areas)


def _sort_key(sort: Sort) -> Any:
    if sort == Sort.STATE:
        return lambda row: (_STATE_ORDER[row.state], natural_key(row.name))
    if sort == Sort.SUBMITTED:
        # Units that sent nothing sort after every sending time (ascending).
        return lambda row: (row.submitted_at is None, row.submitted_at or datetime.min, natural_key(row.name))
    return lambda row: natural_key(row.name)


# --------------------------------------------------------------------------- the trend


async def trend(session: AsyncSession, unit: Unit, periods: Iterable[Period]) -> list[tuple[Period, Tally]]:
    """Each period's tally under `unit` (one query for all of them), against today's tree:
    every unit below is expected, a unit with no report is missing."""
    wanted = list(periods)
    expected = await session.scalar(select(func.count()).select_from(Unit).where(below(unit))) or 0
    by_kind: dict[str, list[str]] = {}
    for period in wanted:
        by_kind.setdefault(period.kind, []).append(period.key)
    result = await session.execute(
        select(Report.period_kind, Report.period_key, Report.status, Report.late, func.count())
        .join(Unit, Unit.id == Report.unit_id)
        .where(below(unit), or_(*(and_(Report.period_kind == kind, Report.period_key.in_(keys))
                                  for kind, keys in by_kind.items())))
        .group_by(Report.period_kind, Report.period_key, Report.status, Report.late)
    )
    tallies = {(period.kind, period.key): Tally() for period in wanted}
    for kind, key, status, late, count in result:
        tallies[kind, key].add(state_of(status, bool(late)), count)
    found = []
    for period in wanted:
        tally = tallies[period.kind, period.key]
        tally.add(ReportState.MISSING, max(0, expected - tally.expected))
        found.append((period, tally))
    return found
