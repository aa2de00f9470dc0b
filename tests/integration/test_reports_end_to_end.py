"""Reports end to end on Telegram: filing across a restart, review, return and resubmission."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.services import people, units
from storage.models import Report
from tests.integration.conftest import ADMIN_ID, TelegramUser

OFFICER = 3003


async def add_officer(session_factory, clock) -> None:
    async with session_factory() as session, session.begin():
        unit = await units.get_unit_by_code(session, "29641")
        person = await people.register(
            session, platform="telegram", external_id=str(OFFICER), chat_id=str(OFFICER),
            display_name="Bình", full_name="Trần Thị Bình", now=clock(),
        )
        await people.grant_role(session, person, unit, "officer", granted_by=None, now=clock())


async def test_officer_files_across_a_restart_and_fixes_a_returned_report(
    emulator, start_app, seeded, session_factory, clock
):
    clock.now = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
    await add_officer(session_factory, clock)
    emulator.add_user(OFFICER, "Bình", last_name="Trần Thị")
    officer = TelegramUser(emulator, OFFICER)
    admin = TelegramUser(emulator, ADMIN_ID)
    app = await start_app()

    await officer.say("/baocao")
    await officer.press(next(b["text"] for row in emulator.messages(OFFICER)[-1]["buttons"] for b in row
                             if b["text"].startswith("Tháng 11/2026")))
    await officer.say("12")
    await officer.say("350")
    await officer.press("Trọng tâm: Nghị quyết Đại hội XIII và đại hội các cấp")
    ticked = emulator.messages(OFFICER)[-1]["buttons"]
    assert any(b["text"].startswith("✓ Trọng tâm: Nghị quyết") for row in ticked for b in row)

    await app.stop()  # a restart in the middle of the report ...
    await start_app()

    await officer.press("Xong")  # ... the ticked topic was kept
    assert "Câu 4/10" in emulator.messages(OFFICER)[-1]["text"]
    for answer in ("1, 2", "7", "1", "0", "Bà con đồng tình, phấn khởi."):
        await officer.say(answer)
    await officer.press("Bỏ qua")
    await emulator.send_photo(OFFICER, caption=None)
    assert "Đã nhận 1 ảnh" in emulator.messages(OFFICER)[-1]["text"]
    summary = await officer.press("Xong")
    assert "10. Số ảnh kèm theo: 1 ảnh" in summary[-1]["text"]
    sent = await officer.press("Gửi báo cáo")
    assert "Đã gửi báo cáo Tháng 11/2026 của Xã Cái Nhum" in sent[-1]["text"]

    notice = admin.new_messages()[-1]
    assert "Xã Cái Nhum đã gửi báo cáo Tháng 11/2026" in notice["text"]
    await admin.press("Trả lại")
    await admin.say("Thiếu số liệu phản biện")
    returned = officer.new_messages()[-1]
    assert "đã bị cấp trên trả lại" in returned["text"] and "Thiếu số liệu phản biện" in returned["text"]

    await officer.say("/baocao")
    await officer.press("Sửa một mục")
    await officer.press("7. Số cuộc phản biện xã hội")
    await officer.say("2")
    await officer.press("Gửi báo cáo")
    again = admin.new_messages()[-1]
    assert "đã gửi lại báo cáo Tháng 11/2026" in again["text"]
    assert "Số cuộc phản biện xã hội: 0 → 2" in again["text"]
    await admin.press("Chấp nhận")
    assert "đã được cấp trên chấp nhận" in officer.new_messages()[-1]["text"]

    async with session_factory() as session:
        report = (await session.execute(select(Report))).scalar_one()
    assert report.status == "accepted" and report.late is False
    assert report.answers["criticisms"] == 2 and len(report.answers["photos"]) == 1


async def test_the_scheduler_reminds_the_officer_whose_button_starts_the_report(
    emulator, start_app, seeded, session_factory, clock
):
    from bot.scheduler import REMINDERS_JOB

    clock.now = datetime(2026, 11, 15, 1, 30, tzinfo=UTC)  # 08:30 in Vietnam, 3 days before the deadline
    await add_officer(session_factory, clock)
    emulator.add_user(OFFICER, "Bình", last_name="Trần Thị")
    officer = TelegramUser(emulator, OFFICER)
    app = await start_app()
    assert app.scheduler.scheduler.get_job(REMINDERS_JOB) is not None

    await app.scheduler.run_now(REMINDERS_JOB)
    october, november = officer.new_messages()
    assert "Báo cáo Tháng 10/2026 của Xã Cái Nhum đã quá hạn" in october["text"]  # still open, late
    assert "báo cáo Tháng 11/2026 của Xã Cái Nhum cần nộp trước 23:59 ngày 18/11/2026 (còn 3 ngày)" in november["text"]
    started = await officer.press("Làm báo cáo ngay")
    assert "Câu 1/10" in started[-1]["text"]

    await app.scheduler.run_now(REMINDERS_JOB)  # the same stage again: nothing new
    assert officer.new_messages() == []
