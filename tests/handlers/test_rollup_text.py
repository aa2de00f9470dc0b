"""The /tiendo message: a real roll-up (seeded on a real database) in the catalogue's words."""

from __future__ import annotations

from datetime import datetime

from bot.services.people.units import get_unit_by_code
from bot.services.reporting.rollup import ChildRow, ReportState, RollUp, Tally, number, percent
from handlers.rollup_text import GROUP_LIMIT, format_rollup
from storage.models import ReportStatus
from tests.services.reporting.test_rollup import (
    FORM,
    PERIOD,
    TZ,
    answers_for,
    import_tra_vinh,
    import_vinh_long,
    make_report,
    rollup_of,
    seed_reports,
    summable_total,
)


async def test_text_has_rates_totals_and_the_units_to_chase(session_factory, now):
    await import_vinh_long(session_factory, now)
    planned = await seed_reports(session_factory, "86", now)
    r = await rollup_of(session_factory, "86")
    text = format_rollup(r, TZ)

    c = r.counts
    assert text.startswith("📊 Tiến độ báo cáo Tháng 10/2026 – Tỉnh Vĩnh Long\n")
    assert (
        f"Đã nộp: {r.submitted}/124 ({percent(r.reporting_rate)}) — đúng hạn {c[ReportState.ON_TIME]}, "
        f"muộn {c[ReportState.LATE]}; bị trả lại {c[ReportState.RETURNED]}; "
        f"chưa nộp {c[ReportState.MISSING] + c[ReportState.DRAFT]} (trong đó {c[ReportState.DRAFT]} đang soạn)"
    ) in text
    for key in FORM.summable_keys:
        assert f"• {FORM.question(key).label}: {number(summable_total(planned, key))}" in text
    assert text.index("Cần nhắc") < text.index("Kết quả cộng dồn")  # who to chase before the sums
    flagged = [p for p in planned if p.state != ReportState.ON_TIME]  # missing, draft, returned, late
    assert f"Cần nhắc {len(flagged)} đơn vị:" in text
    missing = [child.name for child in r.children if child.state == ReportState.MISSING]
    assert len(missing) > GROUP_LIMIT
    assert (f"• Chưa nộp ({len(missing)}): {', '.join(missing[:GROUP_LIMIT])} "
            f"và {len(missing) - GROUP_LIMIT} đơn vị khác") in text
    assert "• Đang soạn (" in text and "• Bị trả lại (" in text and "• Nộp muộn (" in text
    assert "Danh sách đầy đủ: gõ /xuat 2026-10 để nhận tệp Excel." in text
    named = [child.name for child in r.children if child.name in text]
    assert len(named) <= 4 * GROUP_LIMIT < len(flagged)  # a phone screen, not a wall of names
    assert len(text) < 1200
    assert "Theo đơn vị trực thuộc" not in text  # communes have no units below


async def test_text_shows_late_time_in_local_time_and_each_districts_rate(session_factory, now):
    await import_tra_vinh(session_factory, now)
    async with session_factory() as session:
        district = await get_unit_by_code(session, "842")
        report = make_report(district, ReportStatus.SUBMITTED, True, answers_for(0), now)
        report.submitted_at = datetime.fromisoformat("2026-10-21T01:30:00+00:00")
        session.add(report)
        await session.commit()
    r = await rollup_of(session_factory, "84")
    text = format_rollup(r, TZ)

    assert "• Nộp muộn (1): Thành phố Trà Vinh (lúc 08:30 21/10)" in text
    assert "Theo đơn vị trực thuộc:\n• Huyện Càng Long: đã nộp 0/14 (0%), đúng hạn 0" in text
    assert "• Thành phố Trà Vinh: đã nộp 0/8 (0%), đúng hạn 0" in text
    assert "chưa nộp 112" in text


async def test_a_leaf_expects_nothing(session_factory, now):
    await import_vinh_long(session_factory, now)
    r = await rollup_of(session_factory, "29641")

    assert (r.expected, r.reporting_rate, r.on_time_rate, r.children, r.totals) == (0, 0.0, 0.0, [], {})
    assert format_rollup(r, TZ).endswith("Không có đơn vị trực thuộc nào phải nộp báo cáo.")


def test_all_on_time_is_said_once_and_nothing_is_listed():
    children = [ChildRow(f"{n}", f"Xã {n}", ReportState.ON_TIME, None, n) for n in range(3)]
    counts = {**dict.fromkeys(ReportState, 0), ReportState.ON_TIME: 3}
    r = RollUp("86", "Tỉnh Vĩnh Long", PERIOD, 3, counts, {"sessions": 5}, children)
    text = format_rollup(r, TZ)

    assert "Đã nộp: 3/3 (100%) — đúng hạn 3, muộn 0; bị trả lại 0; chưa nộp 0" in text
    assert text.endswith("Tất cả các đơn vị đã nộp đúng hạn.")
    assert "• Xã 1" not in text


def test_many_sub_areas_show_the_lowest_rates_and_count_the_rest():
    children = []
    for n in range(34):
        subtree = Tally()
        subtree.add(ReportState.ON_TIME, n)
        subtree.add(ReportState.MISSING, 34 - n)
        children.append(ChildRow(f"{n:02d}", f"Tỉnh {n}", ReportState.ON_TIME, None, n, subtree))
    counts = {**dict.fromkeys(ReportState, 0), ReportState.ON_TIME: 34}
    r = RollUp("VN", "Việt Nam", PERIOD, 34, counts, {}, children)
    text = format_rollup(r, TZ)

    assert "10/34 đơn vị trực thuộc có tỷ lệ nộp thấp nhất:\n• Tỉnh 0: đã nộp 0/34 (0%), đúng hạn 0\n" in text
    assert "• Tỉnh 9:" in text and "• Tỉnh 10:" not in text
    assert "… và 24 đơn vị khác" in text
