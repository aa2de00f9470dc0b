"""Reports end to end, on Telegram and on Zalo: filing across a restart, review, return, resubmission,
and the scheduler's reminder whose button (a typed number on Zalo) starts the report."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage.models import Report
from tests.integration.conftest import ADMIN_ID, register

OFFICER = 3003


async def add_officer(session_factory, clock, platform: str) -> None:
    await register(session_factory, clock, platform=platform, n=OFFICER, name="Trần Thị Bình",
                   unit_code="29641", role="officer")


async def test_officer_files_across_a_restart_and_fixes_a_returned_report(
    platform, harness, start_app, seeded, session_factory, clock
):
    clock.now = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
    await add_officer(session_factory, clock, platform)
    officer = harness.person(OFFICER, "Trần Thị Bình")
    admin = harness.person(ADMIN_ID)
    app = await start_app()

    await officer.say("/baocao")
    await officer.choose(next(o for o in officer.options() if o.startswith("Tháng 11/2026")))
    await officer.say("12")
    await officer.say("350")
    await officer.choose("Trọng tâm: Nghị quyết Đại hội XIII và đại hội các cấp")
    assert any(o.startswith("✓ Trọng tâm: Nghị quyết") for o in officer.options())

    await app.stop()  # a restart in the middle of the report ...
    await start_app()

    await officer.choose("Xong")  # ... the ticked topic was kept
    assert "Câu 4/10" in officer.transcript()[-1]["text"]
    for answer in ("1, 2", "7", "1", "0", "Bà con đồng tình, phấn khởi."):
        await officer.say(answer)
    await officer.choose("Bỏ qua")
    await officer.send_photo()
    assert "Đã nhận 1 ảnh" in officer.transcript()[-1]["text"]
    summary = await officer.choose("Xong")
    assert "10. Số ảnh kèm theo: 1 ảnh" in summary[-1]["text"]
    sent = await officer.choose("Gửi báo cáo")
    assert "Đã gửi báo cáo Tháng 11/2026 của Xã Cái Nhum" in sent[-1]["text"]

    notice = admin.new_messages()[-1]
    assert "Xã Cái Nhum đã gửi báo cáo Tháng 11/2026" in notice["text"]
    await admin.choose("Trả lại")
    await admin.say("Thiếu số liệu phản biện")
    returned = officer.new_messages()[-1]
    assert "đã bị cấp trên trả lại" in returned["text"] and "Thiếu số liệu phản biện" in returned["text"]

    await officer.say("/baocao")
    await officer.choose("Sửa một mục")
    await officer.choose("7. Số cuộc phản biện xã hội")
    await officer.say("2")
    await officer.choose("Gửi báo cáo")
    again = admin.new_messages()[-1]
    assert "đã gửi lại báo cáo Tháng 11/2026" in again["text"]
    assert "Số cuộc phản biện xã hội: 0 → 2" in again["text"]
    await admin.choose("Chấp nhận")
    assert "đã được cấp trên chấp nhận" in officer.new_messages()[-1]["text"]

    async with session_factory() as session:
        report = (await session.execute(select(Report))).scalar_one()
    assert report.status == "accepted" and report.late is False
    assert report.answers["criticisms"] == 2 and len(report.answers["photos"]) == 1
    assert report.answers["photos"][0]["platform"] == platform


async def test_the_scheduler_reminds_the_officer_whose_button_starts_the_report(
    platform, harness, start_app, seeded, session_factory, clock
):
    from bot.scheduler import REMINDERS_JOB

    clock.now = datetime(2026, 11, 15, 1, 30, tzinfo=UTC)  # 08:30 in Vietnam, 3 days before the deadline
    await add_officer(session_factory, clock, platform)
    officer = harness.person(OFFICER, "Trần Thị Bình")
    app = await start_app()
    assert app.scheduler.scheduler.get_job(REMINDERS_JOB) is not None

    await app.scheduler.run_now(REMINDERS_JOB)
    october, november = officer.new_messages()
    assert "Báo cáo Tháng 10/2026 của Xã Cái Nhum đã quá hạn" in october["text"]  # still open, late
    assert "báo cáo Tháng 11/2026 của Xã Cái Nhum cần nộp trước 23:59 ngày 18/11/2026 (còn 3 ngày)" in november["text"]
    started = await officer.choose("Làm báo cáo ngay")
    assert "Câu 1/10" in started[-1]["text"]

    await app.scheduler.run_now(REMINDERS_JOB)  # the same stage again: nothing new
    assert officer.new_messages() == []
