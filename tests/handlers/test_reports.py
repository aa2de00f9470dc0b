"""Filing, reviewing and pre-filling reports through the neutral dispatcher."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage.models import AuditEntry, Report
from tests.handlers.conftest import prefer_a_zalo_account, register_person
from tests.support import ChatUser, fill_report, open_report

NOV_10 = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam, before the 18 November deadline


async def the_report(session_factory) -> Report:
    async with session_factory() as session:
        return (await session.execute(select(Report))).scalar_one()


async def test_officer_files_a_monthly_report_on_time(officer, admin, clock, session_factory):
    clock.now = NOV_10
    await officer.send("/baocao")
    assert "kỳ nào" in officer.text
    labels = [c.label for c in officer.last.replies[0].choices]
    assert labels[0].startswith("Tháng 10/2026") and labels[1].startswith("Tháng 11/2026")
    await officer.choose(labels[1])
    assert "Câu 1/10" in officer.text
    await fill_report(officer)
    summary = officer.text
    assert "1. Số buổi tuyên truyền: 12" in summary
    assert "3. Nội dung đã tuyên truyền: Trọng tâm: Kết luận 21-KL/TW" in summary
    assert "4. Hình thức tuyên truyền: Hội nghị, họp dân; Nhóm Zalo" in summary
    assert "10. Số ảnh kèm theo: 0 ảnh" in summary
    await officer.choose("Gửi báo cáo")
    assert "Đã gửi báo cáo Tháng 11/2026 của Xã Cái Nhum" in officer.text
    assert "nộp muộn" not in officer.text

    (notice,) = officer.last.notices
    assert notice.chat_id == "100"  # the province admin above the commune
    assert "Xã Cái Nhum đã gửi báo cáo Tháng 11/2026" in notice.text
    assert [c.label for c in notice.choices] == ["Chấp nhận", "Trả lại"]
    report = await the_report(session_factory)
    assert (report.status, report.late, report.answers["sessions"]) == ("submitted", False, 12)
    assert report.form_version == "2026.1"


async def test_report_after_the_deadline_is_flagged_late(officer, clock, session_factory):
    await officer.send("/baocao")  # 26 November: only November is open, and it is past its deadline
    assert "Câu 1/10" in officer.text
    await fill_report(officer)
    assert "Đã quá hạn nộp" in officer.text
    await officer.choose("Gửi báo cáo")
    assert "nộp muộn so với hạn 23:59 ngày 18/11/2026" in officer.text
    assert (await the_report(session_factory)).late is True
    await officer.send("/baocao")  # submitted and past the deadline: locked
    assert "đã quá hạn nên không sửa được" in officer.text


async def test_bad_answers_keep_the_step_and_everything_entered(officer, clock, session_factory):
    clock.now = NOV_10
    await officer.send("/baocao")
    await officer.send(choice="2025-01")  # a period that is not open
    assert "không có trong danh sách" in officer.text
    await officer.choose(officer.last.replies[0].choices[1].label)
    await officer.send("mười hai")
    assert "không phải là một số" in officer.text and "Câu 1/10" in officer.text
    await officer.send("12")
    await officer.send("-5")
    assert "Số phải từ 0 trở lên" in officer.text
    await officer.send("20000000")
    assert "không được lớn hơn 10.000.000" in officer.text and "Câu 2/10" in officer.text
    await officer.send("350")
    await officer.choose("Xong")
    assert "chọn ít nhất một mục" in officer.text
    await officer.send(choice="khong-co")
    assert "không có trong danh sách" in officer.text
    report = await the_report(session_factory)
    assert report.answers == {"sessions": 12, "attendance": 350}


async def test_long_text_is_refused_and_the_report_keeps_its_answers(officer, session_factory):
    await officer.send("/baocao")
    await officer.send("3")
    await officer.send("40")
    await officer.send("1")  # typed numbers pick options at once, as on Zalo
    for answer in ("2", "1", "0", "0"):
        await officer.send(answer)
    await officer.send("x" * 1001)
    assert "vượt quá 1000 ký tự" in officer.text and "Câu 8/10" in officer.text
    report = await the_report(session_factory)
    assert report.answers["sessions"] == 3 and report.answers["topics"] == ["kl21"]
    assert "sentiment" not in report.answers


async def test_members_cannot_file_reports(admin, session_factory, clock, dispatcher):
    await register_person(session_factory, clock, "500", "Phạm Thị Dung", "29641", "member")
    member = ChatUser(dispatcher, "500")
    await member.send("/baocao")
    assert "Lệnh /baocao dành cho quản trị viên đơn vị và cán bộ." in member.text


async def test_two_officers_share_one_report(officer, session_factory, clock, dispatcher):
    await register_person(session_factory, clock, "301", "Lê Văn Cường", "29641", "officer")
    colleague = ChatUser(dispatcher, "301")
    await officer.send("/baocao")
    await officer.send("5")
    await officer.send("120")
    await colleague.send("/baocao")
    assert "Bạn đang làm dở báo cáo Tháng 11/2026" in colleague.text and "Câu 3/10" in colleague.text
    async with session_factory() as session:
        actors = set((await session.execute(select(AuditEntry.actor_id).where(
            AuditEntry.action == "report.answer"))).scalars())
    assert len(actors) == 1


async def test_returned_report_is_fixed_and_the_reviewer_sees_the_change(officer, admin, clock, session_factory):
    clock.now = NOV_10
    await open_report(officer)
    await fill_report(officer, sessions="12")
    await officer.choose("Gửi báo cáo")
    notice = officer.last.notices[0]

    await admin.send(choice=notice.choices[1].value)  # "Trả lại"
    assert "lý do trả lại" in admin.text
    await admin.send("Số buổi chưa khớp với sổ theo dõi")
    assert "Đã trả lại báo cáo Tháng 11/2026 của Xã Cái Nhum" in admin.text
    (to_officer,) = admin.last.notices
    assert to_officer.chat_id == "300" and "Số buổi chưa khớp" in to_officer.text

    await officer.send("/baocao")
    assert "Cấp trên đã trả lại báo cáo với lý do: Số buổi chưa khớp" in officer.text
    await officer.choose("Sửa một mục")
    await officer.choose("1. Số buổi tuyên truyền")
    assert "Hiện tại: 12" in officer.text
    await officer.send("15")
    assert "1. Số buổi tuyên truyền: 15" in officer.text  # back at the summary
    await officer.choose("Gửi báo cáo")
    (again,) = officer.last.notices
    assert "đã gửi lại báo cáo Tháng 11/2026" in again.text
    assert "Số buổi tuyên truyền: 12 → 15" in again.text

    await admin.send(choice=again.choices[0].value)  # "Chấp nhận"
    assert "Đã chấp nhận" in admin.text
    report = await the_report(session_factory)
    assert report.status == "accepted" and report.answers["sessions"] == 15
    await officer.send("/baocao")
    accepted = officer.last.replies[0].choices[1]
    assert accepted.label.endswith("– đã được chấp nhận")
    await officer.send(choice=accepted.value)
    assert "đã được cấp trên chấp nhận nên không sửa được" in officer.text


async def test_a_colleague_cannot_review_and_nobody_reviews_twice(officer, admin, clock, session_factory, dispatcher):
    clock.now = NOV_10
    await open_report(officer)
    await fill_report(officer)
    await officer.choose("Gửi báo cáo")
    accept = officer.last.notices[0].choices[0].value
    await officer.send(choice=accept)
    assert "không có quyền" in officer.text
    await admin.send(choice=accept)
    await admin.send(choice=accept)
    assert "Báo cáo này đã được Nguyễn Văn An chấp nhận lúc" in admin.text  # a note, not an error


async def test_quarter_starts_from_the_sum_of_its_months(officer, clock, session_factory):
    for month, day, sessions in ((10, 5, "3"), (11, 5, "4"), (12, 5, "5")):
        clock.now = datetime(2026, month, day, 2, 0, tzinfo=UTC)
        await officer.send("/baocao")
        await officer.choose(next(c.label for c in officer.last.replies[0].choices if c.label.startswith(f"Tháng {month}/")))
        if "số liệu của Tháng" in officer.text:
            await officer.choose("Nhập mới")
        await fill_report(officer, sessions=sessions)
        await officer.choose("Gửi báo cáo")
        assert "Đã gửi báo cáo" in officer.text

    clock.now = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
    await officer.send("/baocao")
    await officer.choose(next(c.label for c in officer.last.replies[0].choices if c.label.startswith("Quý IV/2026")))
    assert "cộng sẵn từ 3 báo cáo tháng" in officer.text
    assert "Hiện tại: 12" in officer.text  # 3 + 4 + 5
    keep = [c.label for c in officer.last.replies[0].choices if c.label.startswith("Giữ nguyên")]
    assert keep == ["Giữ nguyên: 12"]
    await officer.choose("Giữ nguyên: 12")
    assert "Hiện tại: 1.050" in officer.text  # attendance: 350 × 3


async def test_a_month_can_start_from_last_month(officer, clock, session_factory):
    clock.now = datetime(2026, 10, 5, 2, 0, tzinfo=UTC)
    await officer.send("/baocao")
    await officer.choose(next(c.label for c in officer.last.replies[0].choices if c.label.startswith("Tháng 10/")))
    await fill_report(officer, sessions="9")
    await officer.choose("Gửi báo cáo")
    clock.now = NOV_10
    await officer.send("/baocao")
    await officer.choose(next(c.label for c in officer.last.replies[0].choices if c.label.startswith("Tháng 11/")))
    assert "lấy số liệu của Tháng 10/2026" in officer.text
    await officer.choose("Dùng số liệu tháng trước")
    assert "Đã điền sẵn số liệu của Tháng 10/2026" in officer.text and "Hiện tại: 9" in officer.text


async def test_an_admin_with_two_accounts_hears_of_a_submission_once_where_they_chose(
    officer, admin, clock, session_factory
):
    await prefer_a_zalo_account(session_factory, clock, "100")
    clock.now = NOV_10
    await open_report(officer)
    await fill_report(officer)
    await officer.choose("Gửi báo cáo")

    (notice,) = officer.last.notices
    assert (notice.platform, notice.chat_id) == ("zalo", "z100")
    assert "Xã Cái Nhum đã gửi báo cáo Tháng 11/2026" in notice.text
