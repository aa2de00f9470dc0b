"""The roll-up of a period over a subtree, on a real database: rates, totals, children.

The helpers here also seed the export and chart tests: reports are inserted directly with a
status plan, so every expected number can be computed from the plan itself.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, select

from bot.core.forms import Form, Question, all_forms, current_form
from bot.core.messages import Choice
from bot.core.periods import Period
from bot.services.people.units import (
    get_unit_by_code,
    import_units,
    rows_from_csv,
    rows_from_vietnam_provinces,
)
from bot.services.reporting.rollup import (
    ReportState,
    RollUp,
    Tally,
    natural_key,
    number,
    percent,
    rollup,
    state_of,
)
from handlers.rollup_text import format_rollup
from storage.models import Report, ReportStatus, Unit
from tests.conftest import TRA_VINH_CSV

PERIOD = Period.parse("2026-10")
TZ = "Asia/Ho_Chi_Minh"
FORM = current_form()
# One entry per position modulo 10: (status, late), or None for "no report at all".
PLAN: list[tuple[str, bool] | None] = [
    (ReportStatus.SUBMITTED, False),
    (ReportStatus.SUBMITTED, False),
    (ReportStatus.ACCEPTED, False),
    (ReportStatus.ACCEPTED, False),
    (ReportStatus.SUBMITTED, True),
    (ReportStatus.ACCEPTED, True),
    (ReportStatus.RETURNED, True),
    (ReportStatus.DRAFT, False),
    (ReportStatus.SUBMITTED, False),
    None,
]
OLD_FORM = Form(
    id=FORM.id,
    version="2025.1",
    title="Báo cáo kết quả tuyên truyền (mẫu cũ)",
    questions=(
        Question(key="sessions", type="integer", prompt="?", label="Số buổi tuyên truyền (cũ)"),
        Question(key="meetings", type="integer", prompt="?", label="Số cuộc họp dân"),
        Question(
            key="topics", type="multi_choice", prompt="?", label="Chủ đề",
            options=(Choice("cu1", "Chủ đề cũ một"), Choice("cu2", "Chủ đề cũ hai")),
        ),
    ),
)


@dataclass(frozen=True)
class Planned:
    """What was inserted for one unit: enough to compute every expected number."""

    code: str
    name: str
    state: ReportState
    answers: dict[str, Any]
    report_id: int | None


def answers_for(index: int) -> dict[str, Any]:
    """A full, varied set of answers on the current form."""
    return {
        "sessions": index % 7 + 1,
        "attendance": 25 * (index % 11) + 3,
        "topics": ["kl21", "nq35"] if index % 2 else ["khac"],
        "channels": ["hop", "zalo"],
        "posts": index % 5,
        "supervisions": index % 3,
        "criticisms": index % 2,
        "sentiment": "Nhân dân phấn khởi, đồng tình với chủ trương.",
        "photos": [f"photo-{index}-{n}" for n in range(index % 3)],
    }


def summable_total(planned: list[Planned], key: str) -> int:
    counted = (ReportState.ON_TIME, ReportState.LATE)
    return sum(p.answers.get(key, 0) for p in planned if p.state in counted)


async def import_vinh_long(session_factory, now: datetime) -> None:
    async with session_factory() as session:
        await import_units(session, rows_from_vietnam_provinces(86), now=now)
        await session.commit()


async def import_tra_vinh(session_factory, now: datetime) -> None:
    async with session_factory() as session:
        await import_units(session, rows_from_csv(TRA_VINH_CSV), now=now)
        await session.commit()


async def units_below(session, code: str) -> list[Unit]:
    """The reporting units under `code`, in path order (as the export lists them)."""
    root = await get_unit_by_code(session, code)
    result = await session.scalars(select(Unit).where(Unit.path.like(f"{root.path}%"), Unit.id != root.id))
    return sorted(result, key=lambda unit: unit.path)


def make_report(unit: Unit, status: str, late: bool, answers: dict[str, Any], now: datetime,
                version: str | None = None, period: Period = PERIOD) -> Report:
    sent = status != ReportStatus.DRAFT
    return Report(
        unit_id=unit.id, period_kind=period.kind, period_key=period.key, form_id=FORM.id,
        form_version=version or FORM.version, status=status, answers=answers,
        deadline=now - timedelta(days=30), late=late,
        submitted_at=now - timedelta(days=(40 if not late else 20), hours=unit.id % 5) if sent else None,
        created_at=now, updated_at=now,
    )


async def seed_reports(session_factory, code: str, now: datetime) -> list[Planned]:
    """Reports for every unit under `code` following PLAN by position; returns what was planned."""
    planned: list[Planned] = []
    async with session_factory() as session:
        below = await units_below(session, code)
        reports: list[tuple[Unit, Report | None, dict[str, Any]]] = []
        for index, unit in enumerate(below):
            step = PLAN[index % len(PLAN)]
            answers = answers_for(index)
            report = make_report(unit, step[0], step[1], answers, now) if step else None
            if report is not None:
                session.add(report)
            reports.append((unit, report, answers))
        await session.commit()
        for unit, report, answers in reports:
            state = state_of(report.status, report.late) if report else ReportState.MISSING
            planned.append(Planned(unit.code, unit.name, state, answers if report else {},
                                   report.id if report else None))
    return planned


async def rollup_of(session_factory, code: str, period: Period = PERIOD) -> RollUp:
    async with session_factory() as session:
        return await rollup(session, await get_unit_by_code(session, code), period)


def use_old_form(monkeypatch) -> None:
    """Make OLD_FORM a known older version of the current form, as a second YAML file would."""
    known = {**all_forms(), (OLD_FORM.id, OLD_FORM.version): OLD_FORM}
    monkeypatch.setattr("bot.core.forms.all_forms", lambda directory=None: known)
    monkeypatch.setattr("handlers.rollup_text.all_forms", lambda directory=None: known)


# --------------------------------------------------------------------------- states and rates


def test_state_of_each_status():
    assert state_of(None, False) == ReportState.MISSING
    assert state_of(ReportStatus.DRAFT, False) == ReportState.DRAFT
    assert state_of(ReportStatus.RETURNED, True) == ReportState.RETURNED
    assert state_of(ReportStatus.SUBMITTED, False) == ReportState.ON_TIME
    assert state_of(ReportStatus.ACCEPTED, True) == ReportState.LATE


def test_percent_and_number_read_the_vietnamese_way():
    assert percent(0.887) == "88,7%"
    assert percent(0.5) == "50%"
    assert percent(0.9999) == "99,9%"  # never 100% while one is missing
    assert percent(1.0) == "100%"
    assert percent(0.0) == "0%"
    assert number(1234567) == "1.234.567"


async def test_two_tier_rates_counts_and_totals_follow_the_statuses(session_factory, now):
    await import_vinh_long(session_factory, now)
    planned = await seed_reports(session_factory, "86", now)
    r = await rollup_of(session_factory, "86")

    states = Counter(p.state for p in planned)
    assert r.expected == len(planned) == 124
    assert r.counts == {state: states[state] for state in ReportState}
    assert r.submitted == states[ReportState.ON_TIME] + states[ReportState.LATE]
    assert r.reporting_rate == r.submitted / 124
    assert r.on_time_rate == states[ReportState.ON_TIME] / 124
    assert r.totals == {key: summable_total(planned, key) for key in FORM.summable_keys}
    assert r.unit_code == "86" and r.unit_name == "Tỉnh Vĩnh Long" and r.period == PERIOD


async def test_two_tier_children_are_the_communes_with_their_own_state(session_factory, now):
    await import_vinh_long(session_factory, now)
    planned = {p.code: p for p in await seed_reports(session_factory, "86", now)}
    r = await rollup_of(session_factory, "86")

    assert len(r.children) == 124
    for child in r.children:
        assert child.subtree is None
        assert child.state == planned[child.code].state
        assert child.report_id == planned[child.code].report_id
        assert (child.submitted_at is None) == (child.state in (ReportState.MISSING, ReportState.DRAFT))
    names = [child.name for child in r.children]
    assert names == sorted(names, key=natural_key)


async def test_three_tier_children_carry_their_subtree_counts(session_factory, now):
    await import_tra_vinh(session_factory, now)
    planned = await seed_reports(session_factory, "84", now)
    r = await rollup_of(session_factory, "84")

    assert r.expected == 113  # 9 districts and 104 communes all report
    assert [child.code for child in r.children if child.subtree is None] == []
    async with session_factory() as session:
        by_code = {unit.code: unit for unit in await units_below(session, "84")}
    state = {p.code: p.state for p in planned}
    for child in r.children:
        district = by_code[child.code]
        communes = [u for u in by_code.values() if u.parent_id == district.id]
        assert child.state == state[child.code]
        assert child.subtree == Tally(
            expected=len(communes), counts={s: sum(state[u.code] == s for u in communes) for s in ReportState}
        )
    assert sum(child.subtree.expected + 1 for child in r.children) == r.expected
    summed = Counter()
    for child in r.children:
        summed.update(child.area.counts)
    assert {s: summed[s] for s in ReportState} == r.counts


async def test_three_tier_district_view_counts_only_its_communes(session_factory, now):
    await import_tra_vinh(session_factory, now)
    planned = {p.code: p for p in await seed_reports(session_factory, "84", now)}
    r = await rollup_of(session_factory, "842")

    assert r.expected == 8 == len(r.children)
    assert r.totals == {k: summable_total([planned[c.code] for c in r.children], k) for k in FORM.summable_keys}


async def test_the_viewed_unit_other_periods_and_other_provinces_do_not_count(session_factory, now):
    await import_vinh_long(session_factory, now)
    async with session_factory() as session:
        await import_units(session, rows_from_vietnam_provinces(1), now=now)  # Hà Nội
        await session.commit()
        province = await get_unit_by_code(session, "86")
        commune = (await units_below(session, "86"))[0]
        other = (await units_below(session, "01"))[0]
        session.add_all([
            make_report(province, ReportStatus.SUBMITTED, False, {"sessions": 1000}, now),
            make_report(commune, ReportStatus.SUBMITTED, False, {"sessions": 7}, now),
            make_report(commune, ReportStatus.SUBMITTED, False, {"sessions": 500}, now, period=PERIOD.previous()),
            make_report(other, ReportStatus.SUBMITTED, False, {"sessions": 300}, now),
        ])
        await session.commit()
    r = await rollup_of(session_factory, "86")

    assert r.expected == 124
    assert r.counts[ReportState.ON_TIME] == 1
    assert r.totals == {"sessions": 7}


async def test_an_old_form_version_sums_its_own_questions(session_factory, now, monkeypatch):
    use_old_form(monkeypatch)
    await import_vinh_long(session_factory, now)
    async with session_factory() as session:
        first, second, third = (await units_below(session, "86"))[:3]
        session.add_all([
            make_report(first, ReportStatus.ACCEPTED, False, {"sessions": 3, "meetings": 4}, now, version="2025.1"),
            make_report(second, ReportStatus.SUBMITTED, True, answers_for(1), now),
            make_report(third, ReportStatus.DRAFT, False, {"sessions": 99, "meetings": 99}, now, version="2025.1"),
        ])
        await session.commit()
    r = await rollup_of(session_factory, "86")

    assert r.totals["sessions"] == 3 + answers_for(1)["sessions"]
    assert r.totals["meetings"] == 4
    text = format_rollup(r, TZ)
    assert "• Số cuộc họp dân (mẫu 2025.1): 4" in text


async def test_rollup_takes_the_same_few_queries_whatever_the_size(engine, session_factory, now):
    await import_tra_vinh(session_factory, now)
    await seed_reports(session_factory, "84", now)
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        async with session_factory() as session:
            province, district = await get_unit_by_code(session, "84"), await get_unit_by_code(session, "842")
            statements.clear()
            await rollup(session, province, PERIOD)
            for_province = len(statements)
            statements.clear()
            await rollup(session, district, PERIOD)
            for_district = len(statements)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert for_province == for_district == 2
