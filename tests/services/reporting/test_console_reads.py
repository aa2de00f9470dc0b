"""The reads the web console's Tổng quan and Báo cáo pages make: every unit with its state (filters,
search, order, pages), the trend of several periods, what waits for a reviewer, a unit's history,
and what a resubmission changed."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import event, select

from bot.core.periods import Period
from bot.services.people import people
from bot.services.people.units import get_unit_by_code
from bot.services.reporting import reports
from bot.services.reporting.rollup import (
    ATTENTION,
    ReportState,
    Sort,
    natural_key,
    rollup,
    trend,
    unit_statuses,
)
from storage.models import Report, ReportStatus, Unit
from tests.services.reporting.test_rollup import (
    PERIOD,
    import_tra_vinh,
    import_vinh_long,
    make_report,
    seed_reports,
    units_below,
)


async def statuses(session_factory, code: str, period: Period = PERIOD, **filters):
    async with session_factory() as session:
        return await unit_statuses(session, await get_unit_by_code(session, code), period, **filters)


async def test_every_unit_is_listed_with_the_state_the_rollup_counts(session_factory, now):
    await import_vinh_long(session_factory, now)
    planned = await seed_reports(session_factory, "86", now)
    everything = await statuses(session_factory, "86", per_page=500)
    async with session_factory() as session:
        summary = await rollup(session, await get_unit_by_code(session, "86"), PERIOD)

    assert everything.total == len(everything.rows) == 124 and everything.pages == 1
    assert Counter(row.state for row in everything.rows) == Counter(summary.counts) - Counter()
    by_code = {row.code: row for row in everything.rows}
    for plan in planned:
        row = by_code[plan.code]
        assert (row.state, row.report_id, row.name) == (plan.state, plan.report_id, plan.name)
        assert row.parent_name == "Tỉnh Vĩnh Long"
        assert (row.submitted_at is None) == (plan.state in (ReportState.MISSING, ReportState.DRAFT))
    assert everything.areas == []  # no districts
    assert [row.name for row in everything.rows] == sorted((p.name for p in planned), key=natural_key)


async def test_filters_search_order_and_pages(session_factory, now):
    await import_vinh_long(session_factory, now)
    planned = await seed_reports(session_factory, "86", now)
    late = {p.code for p in planned if p.state == ReportState.LATE}

    only_late = await statuses(session_factory, "86", state=ReportState.LATE)
    assert {row.code for row in only_late.rows} == late and only_late.total == len(late)

    found = await statuses(session_factory, "86", search="  CAI nhum ")  # no diacritics, any case
    assert [row.name for row in found.rows] == ["Xã Cái Nhum"]

    first = await statuses(session_factory, "86", sort=Sort.STATE, per_page=50)
    second = await statuses(session_factory, "86", sort=Sort.STATE, per_page=50, page=2)
    last = await statuses(session_factory, "86", sort=Sort.STATE, per_page=50, page=99)  # past the end: the last
    assert (first.pages, first.page, second.page, last.page) == (3, 1, 2, 3)
    assert len(first.rows) == len(second.rows) == 50 and len(last.rows) == 24
    order = [*ATTENTION, ReportState.ON_TIME]
    states = [order.index(row.state) for row in first.rows + second.rows + last.rows]
    assert states == sorted(states)  # missing first, then drafts, returned, late, on time

    newest = await statuses(session_factory, "86", sort=Sort.SUBMITTED, descending=True, per_page=500)
    sent = [row.submitted_at for row in newest.rows if row.submitted_at is not None]
    assert sent == sorted(sent, reverse=True) and newest.rows[0].submitted_at is None  # nothing sent: last, reversed


async def test_with_districts_the_list_can_be_narrowed_to_one(session_factory, now):
    await import_tra_vinh(session_factory, now)
    await seed_reports(session_factory, "84", now)
    whole = await statuses(session_factory, "84", per_page=500)
    assert len(whole.areas) == 9 and whole.total == 113
    district = whole.areas[0]
    narrowed = await statuses(session_factory, "84", area=district.code, per_page=500)
    async with session_factory() as session:
        inside = [u.code for u in await units_below(session, "84")
                  if u.path.startswith((await get_unit_by_code(session, district.code)).path)]
    assert sorted(row.code for row in narrowed.rows) == sorted(inside)  # the district and its communes
    assert {row.area_code for row in narrowed.rows} == {district.code}

    own = await statuses(session_factory, district.code, per_page=500)  # the district's admin
    assert own.areas == [] and own.total == len(inside) - 1


async def test_the_trend_counts_each_period_in_one_query(engine, session_factory, now):
    await import_vinh_long(session_factory, now)
    async with session_factory() as session:
        below = await units_below(session, "86")
        for unit in below[:31]:
            session.add(make_report(unit, ReportStatus.ACCEPTED, False, {}, now, period=Period.parse("2026-09")))
        for unit in below[:10]:
            session.add(make_report(unit, ReportStatus.SUBMITTED, True, {}, now, period=PERIOD))
        session.add(make_report(below[10], ReportStatus.DRAFT, False, {}, now, period=PERIOD))
        session.add(make_report(below[11], ReportStatus.ACCEPTED, False, {}, now, period=Period.parse("2026-Q4")))
        await session.commit()
    periods = [Period.parse(key) for key in ("2026-08", "2026-09", "2026-10")]
    selects: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        selects.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        async with session_factory() as session:
            province = await get_unit_by_code(session, "86")
            selects.clear()
            found = await trend(session, province, periods)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)

    assert len(selects) == 2  # the units expected, then every period's reports grouped
    assert [period for period, _ in found] == periods
    august, september, october = (tally for _, tally in found)
    assert august.expected == september.expected == october.expected == 124
    assert august.counts[ReportState.MISSING] == 124 and august.reporting_rate == 0
    assert september.counts[ReportState.ON_TIME] == 31 and september.reporting_rate == 0.25
    assert october.counts[ReportState.LATE] == 10 and october.counts[ReportState.DRAFT] == 1
    assert october.counts[ReportState.MISSING] == 113 and october.on_time_rate == 0


async def _actor(session, code: str, role: str, n: int, now):
    person = await people.register(session, platform="telegram", external_id=str(n), chat_id=str(n),
                                   full_name=f"Người {n}", now=now)
    await people.grant_role(session, person, await get_unit_by_code(session, code), role, granted_by=None, now=now)
    await session.flush()
    return await people.actor_of_person(session, person.id)


async def test_waiting_for_review_is_what_each_admin_may_review(session_factory, now):
    await import_tra_vinh(session_factory, now)
    await seed_reports(session_factory, "84", now)
    async with session_factory() as session:
        province_admin = await _actor(session, "84", "province_admin", 1, now)
        district_admin = await _actor(session, "842", "unit_admin", 2, now)
        district = await get_unit_by_code(session, "842")
        commune = (await session.scalars(select(Unit).where(Unit.parent_id == district.id))).first()
        commune_admin = await _actor(session, commune.code, "unit_admin", 3, now)
        submitted = list(await session.scalars(
            select(Report).join(Unit, Unit.id == Report.unit_id).where(Report.status == ReportStatus.SUBMITTED)))

        everything = await reports.waiting_for_review(session, province_admin, limit=1000)
        assert {r.id for r in everything} == {r.id for r in submitted}
        assert await reports.count_waiting_for_review(session, province_admin) == len(submitted)
        first_five = await reports.waiting_for_review(session, province_admin, limit=5)
        assert [r.id for r in first_five] == [r.id for r in everything[:5]]
        times = [(r.submitted_at, r.id) for r in everything]
        assert times == sorted(times)  # oldest first

        below_district = [r for r in submitted if r.unit.path.startswith(district.path) and r.unit_id != district.id]
        mine = await reports.waiting_for_review(session, district_admin, limit=1000)
        assert {r.id for r in mine} == {r.id for r in below_district}  # not the district's own report
        assert await reports.count_waiting_for_review(session, district_admin) == len(below_district)
        assert all(reports.can_review(district_admin, r.unit) for r in mine)
        assert await reports.waiting_for_review(session, commune_admin) == []  # nobody below a commune
        assert await reports.count_waiting_for_review(session, commune_admin) == 0


async def test_a_units_history_lists_the_latest_period_first(session_factory, now):
    await import_vinh_long(session_factory, now)
    async with session_factory() as session:
        unit = (await units_below(session, "86"))[0]
        for key in ("2026-09", "2026-Q3", "2026-10", "2025", "2026-H1", "2026-08"):
            session.add(make_report(unit, ReportStatus.ACCEPTED, False, {}, now, period=Period.parse(key)))
        await session.commit()
        found = [r.period_key for r in await reports.history(session, unit)]
    assert found == ["2026-10", "2026-Q3", "2026-09", "2026-08", "2026-H1", "2025"]


async def test_a_resubmission_keeps_the_answers_sent_before(session_factory, now):
    await import_vinh_long(session_factory, now)
    answers = {"sessions": 2, "attendance": 100, "topics": ["khac"], "channels": ["hop"], "posts": 1,
               "supervisions": 0, "criticisms": 0, "sentiment": "Ổn định."}
    async with session_factory() as session:
        unit = (await units_below(session, "86"))[0]
        report = make_report(unit, ReportStatus.DRAFT, False, dict(answers), now)
        report.deadline = now + timedelta(days=5)
        session.add(report)
        await session.flush()
        assert await reports.submit(session, report, actor_id=None, now=now) is None
        assert reports.resubmission_changes(report) is None and report.previous_answers is None

        report.status = ReportStatus.RETURNED
        await reports.set_answer(session, report, "attendance", 120, actor_id=None, now=now)
        await reports.set_answer(session, report, "sentiment", "Phấn khởi.", actor_id=None, now=now)
        told = await reports.submit(session, report, actor_id=None, now=now)
        await session.commit()
        shown = reports.resubmission_changes(report)
        assert told == shown
        assert [(c.key, c.before, c.after) for c in shown] == [("attendance", 100, 120),
                                                               ("sentiment", "Ổn định.", "Phấn khởi.")]
        assert report.previous_answers == answers

        told = await reports.submit(session, report, actor_id=None, now=now)  # sent again unchanged
        assert told == reports.resubmission_changes(report) == []
