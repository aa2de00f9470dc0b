"""One period's reports rolled up over a subtree: the province's at-a-glance view (`/tiendo`).

The measures are DHIS2's: the *reporting rate* is the share of expected reports that have been
sent up, the *on-time rate* the share sent up by the deadline. Every unit strictly below the
viewed unit is expected to report (a district files its own report besides its communes').

It must stay fast for the whole country (3,355 units), so it runs a constant number of
queries (the subtree's units, then that period's reports of the subtree) and aggregates in
Python, instead of one query per child.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.forms import Form, all_forms, current_form, form_for
from bot.services.people.units import fold
from bot.services.reporting.periods import Period
from bot.services.reporting.reports import COUNTED
from storage.models import Report, ReportStatus, Unit

LIST_LIMIT = 30  # names listed in the chat text; the rest are counted ("… và N đơn vị khác")

TEXTS = {
    "title": "📊 Tiến độ báo cáo {period} – {unit}",
    "none_expected": "Không có đơn vị trực thuộc nào phải nộp báo cáo.",
    "submitted": (
        "Đã nộp: {submitted}/{expected} ({rate}) — đúng hạn {on_time}, muộn {late}; "
        "bị trả lại {returned}; chưa nộp {not_sent}"
    ),
    "drafts": " (trong đó {drafts} đang soạn)",
    "on_time_rate": "Tỷ lệ nộp đúng hạn: {rate}",
    "totals": "Kết quả cộng dồn từ {count} báo cáo đã nộp:",
    "no_totals": "Chưa có báo cáo nào được nộp.",
    "total_line": "• {label}: {value}",
    "old_form": "{label} (mẫu {version})",
    "by_child": "Theo đơn vị trực thuộc:",
    "child_rate": "• {name}: đã nộp {submitted}/{expected} ({rate}), đúng hạn {on_time}",
    "attention": "Đơn vị chưa nộp, bị trả lại hoặc nộp muộn:",
    "attention_line": "• {name} – {state}",
    "late_at": "nộp muộn lúc {time}",
    "more": "… và {count} đơn vị khác",
    "all_on_time": "Tất cả các đơn vị đã nộp đúng hạn.",
}


class ReportState(StrEnum):
    """Where one unit stands for a period, as the level above sees it."""

    ON_TIME = "on_time"  # submitted or accepted by the deadline
    LATE = "late"  # submitted or accepted after the deadline
    RETURNED = "returned"  # sent back for correction: not counted until resubmitted
    DRAFT = "draft"  # started, not sent
    MISSING = "missing"  # no report at all


STATE_NAMES = {
    ReportState.ON_TIME: "đúng hạn",
    ReportState.LATE: "nộp muộn",
    ReportState.RETURNED: "bị trả lại",
    ReportState.DRAFT: "đang soạn",
    ReportState.MISSING: "chưa nộp",
}
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


async def _subtree_units(session: AsyncSession, unit: Unit) -> list[tuple[int, str, str, str]]:
    result = await session.execute(select(Unit.id, Unit.code, Unit.name, Unit.path).where(below(unit)))
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
            id_, unit_id, state, submitted_at, form_id, version, (answers or {}) if counted else {}
        )
    return reports


# --------------------------------------------------------------------------- aggregation


async def rollup(session: AsyncSession, unit: Unit, period: Period) -> RollUp:
    """The roll-up of `period` under `unit`: two queries, whatever the size of the subtree."""
    units = await _subtree_units(session, unit)
    reports = await _subtree_reports(session, unit, period)
    depth = unit.path.strip("/").count("/") + 1  # index of the direct child's code in a path
    overall = Tally()
    children: dict[str, ChildRow] = {}
    subtrees: dict[str, Tally] = {}
    for unit_id, code, name, path in units:
        report = reports.get(unit_id)
        state = report.state if report else ReportState.MISSING
        overall.add(state)
        segments = path.strip("/").split("/")
        if len(segments) == depth + 1:
            children[code] = ChildRow(
                code, name, state, report.submitted_at if report else None, report.id if report else None
            )
        else:
            subtrees.setdefault(segments[depth], Tally()).add(state)
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


_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Accent-insensitive order with numbers read as numbers ("Phường 2" before "Phường 10")."""
    parts = _DIGITS.split(fold(name))
    return tuple((1, int(part)) if part.isdigit() else (0, part) for part in parts if part)


# --------------------------------------------------------------------------- chat text


def format_rollup(r: RollUp, tz_name: str, limit: int = LIST_LIMIT) -> str:
    """The `/tiendo` message: rates, totals, each sub-area's rate, and who needs a reminder."""
    blocks = [TEXTS["title"].format(period=r.period.label, unit=r.unit_name)]
    if r.expected == 0:
        blocks[0] += "\n" + TEXTS["none_expected"]
        return blocks[0]
    blocks[0] += "\n" + _summary_lines(r)
    blocks.append(_totals_block(r))
    with_subtree = [child for child in r.children if child.subtree is not None]
    if with_subtree:
        lines = [_child_rate_line(child) for child in with_subtree]
        blocks.append("\n".join([TEXTS["by_child"], *_capped(lines, limit)]))
    blocks.append(_attention_block(r.children, tz_name, limit))
    if r.counts[ReportState.ON_TIME] == r.expected:
        blocks.append(TEXTS["all_on_time"])
    return "\n\n".join(block for block in blocks if block)


def _summary_lines(r: RollUp) -> str:
    line = TEXTS["submitted"].format(
        submitted=number(r.submitted), expected=number(r.expected), rate=percent(r.reporting_rate),
        on_time=number(r.counts[ReportState.ON_TIME]), late=number(r.counts[ReportState.LATE]),
        returned=number(r.counts[ReportState.RETURNED]), not_sent=number(r.not_submitted),
    )
    if r.counts[ReportState.DRAFT]:
        line += TEXTS["drafts"].format(drafts=number(r.counts[ReportState.DRAFT]))
    return line + "\n" + TEXTS["on_time_rate"].format(rate=percent(r.on_time_rate))


def _totals_block(r: RollUp) -> str:
    if not r.submitted:
        return TEXTS["no_totals"]
    lines = [TEXTS["totals"].format(count=number(r.submitted))]
    lines += [
        TEXTS["total_line"].format(label=label, value=number(r.totals.get(key, 0)))
        for key, label in total_labels(r.totals, current_form())
    ]
    return "\n".join(lines)


def total_labels(totals: dict[str, int], form: Form) -> list[tuple[str, str]]:
    """(key, label) of every total: the current form's numbers in its order, then older forms' extras."""
    labelled = [(key, form.question(key).label) for key in form.summable_keys]
    known = set(form.summable_keys)
    for key in sorted(set(totals) - known):
        labelled.append((key, _old_label(key)))
    return labelled


def _old_label(key: str) -> str:
    """The label of a question that only an older form version has, marked with that version."""
    newest_first = sorted(all_forms().values(), key=lambda form: _version_key(form.version), reverse=True)
    for form in newest_first:
        for question in form.questions:
            if question.key == key:
                return TEXTS["old_form"].format(label=question.label, version=form.version)
    return key


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def _child_rate_line(child: ChildRow) -> str:
    tally = child.subtree or Tally()
    return TEXTS["child_rate"].format(
        name=child.name, submitted=number(tally.submitted), expected=number(tally.expected),
        rate=percent(tally.reporting_rate), on_time=number(tally.counts[ReportState.ON_TIME]),
    )


def _attention_block(children: list[ChildRow], tz_name: str, limit: int) -> str:
    flagged = sorted(
        (child for child in children if child.state in ATTENTION),
        key=lambda child: ATTENTION.index(child.state),  # stable: name order within a state
    )
    if not flagged:
        return ""
    lines = [
        TEXTS["attention_line"].format(name=child.name, state=_state_text(child, tz_name)) for child in flagged
    ]
    return "\n".join([TEXTS["attention"], *_capped(lines, limit)])


def _state_text(child: ChildRow, tz_name: str) -> str:
    if child.state == ReportState.LATE and child.submitted_at is not None:
        local = child.submitted_at.astimezone(ZoneInfo(tz_name))
        return TEXTS["late_at"].format(time=f"{local:%H:%M %d/%m/%Y}")
    return STATE_NAMES[child.state]


def _capped(lines: list[str], limit: int) -> list[str]:
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], TEXTS["more"].format(count=len(lines) - limit)]


def percent(rate: float) -> str:
    """'88,7%' as Vietnamese writes it; rounded down so an unfinished count never shows 100%."""
    tenths = math.floor(rate * 1000 + 1e-9)
    whole, tenth = divmod(tenths, 10)
    return f"{whole}%" if tenth == 0 else f"{whole},{tenth}%"


def number(value: int) -> str:
    """'12.345': Vietnamese groups thousands with a dot."""
    return f"{value:,}".replace(",", ".")
