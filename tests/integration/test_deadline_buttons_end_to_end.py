"""Deadlines help, on Telegram and on Zalo (issue #12, item 7): /hannop gives each report the unit
owes a button (a typed number on Zalo) that opens it, and a returned report reaches the officer
with a button that opens it for the fix; both run `/baocao <period>` like the reminder's button."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.integration.conftest import ADMIN_ID, register
from tests.integration.drivers import submit_report

OFFICER = 3005
NOV_10 = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam: October overdue, November due on the 18th


async def add_officer(session_factory, clock, platform: str) -> None:
    await register(session_factory, clock, platform=platform, n=OFFICER, name="Trần Thị Bình",
                   unit_code="29641", role="officer")


async def test_hannop_opens_each_report_the_unit_owes(platform, harness, start_app, seeded, session_factory, clock):
    clock.now = NOV_10
    await add_officer(session_factory, clock, platform)
    officer = harness.person(OFFICER, "Trần Thị Bình")
    await start_app()

    listed = await officer.say("/hannop")
    assert "- Tháng 10/2026: hạn 23:59 ngày 18/10/2026 – chưa làm (quá hạn 23 ngày)" in listed[-1]["text"]
    assert "- Tháng 11/2026: hạn 23:59 ngày 18/11/2026 – chưa làm (còn 8 ngày)" in listed[-1]["text"]
    assert officer.options() == ["Làm báo cáo Tháng 10/2026", "Làm báo cáo Tháng 11/2026"]
    opened = await officer.choose("Làm báo cáo Tháng 11/2026")
    assert "Câu 1/10" in opened[-1]["text"]
    await officer.say("12")
    cancelled = await officer.say("/huy")
    assert "Bản nháp báo cáo Tháng 11/2026 vẫn được lưu; gõ /baocao để làm tiếp." in cancelled[-1]["text"]

    await officer.say("/hannop")
    assert "Tháng 11/2026: hạn 23:59 ngày 18/11/2026 – đang làm, chưa gửi (còn 8 ngày)" in officer.transcript()[-1]["text"]
    resumed = await officer.choose("Làm báo cáo Tháng 11/2026")
    assert "Bạn đang làm dở báo cáo Tháng 11/2026" in resumed[-1]["text"] and "Câu 2/10" in resumed[-1]["text"]


async def test_a_returned_report_reaches_the_officer_with_a_button_that_opens_it(
    platform, harness, start_app, seeded, session_factory, clock
):
    clock.now = NOV_10
    await add_officer(session_factory, clock, platform)
    officer = harness.person(OFFICER, "Trần Thị Bình")
    admin = harness.person(ADMIN_ID)
    await start_app()

    await submit_report(officer, "Tháng 11/2026 (hạn 18/11, còn 8 ngày)")

    admin.new_messages()
    await admin.choose("Trả lại")
    await admin.say("Thiếu số liệu phản biện")
    (returned,) = officer.new_messages()
    assert "đã bị cấp trên trả lại" in returned["text"] and "Thiếu số liệu phản biện" in returned["text"]
    assert returned["options"] == ["Sửa báo cáo Tháng 11/2026"]

    opened = await officer.choose("Sửa báo cáo Tháng 11/2026")
    assert "Báo cáo Tháng 11/2026 – Xã Cái Nhum" in opened[-1]["text"]
    assert "Cấp trên đã trả lại báo cáo với lý do: Thiếu số liệu phản biện" in opened[-1]["text"]
    assert "Gửi báo cáo" in officer.options()
