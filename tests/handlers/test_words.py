"""Words say what happened, and deadlines help (issue #12, items 6 and 7), through the dispatcher:
/huy in a report keeps the draft and says so; a command outside one's role says whom it is for;
the fallback names /trogiup; a member's consent does not promise reports; period choices say
how near the deadline is, in a fixed order; /hannop and a returned report open the report."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage.models import Report
from tests.handlers.conftest import register_person
from tests.handlers.test_registration import make_invite
from tests.support import ChatUser, fill_report, open_report

NOV_10 = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam
DEC_16 = datetime(2026, 12, 16, 2, 0, tzinfo=UTC)  # every kind of period is open


async def the_report(session_factory) -> Report:
    async with session_factory() as session:
        return (await session.execute(select(Report))).scalar_one()


def labels(user: ChatUser) -> list[str]:
    return [c.label for reply in user.last.replies for c in reply.choices]


# Item 6: words say what happened.

async def test_cancelling_a_report_says_the_draft_is_kept_and_it_is(officer, clock, session_factory):
    clock.now = NOV_10
    await open_report(officer)
    await officer.send("12")
    await officer.send("350")
    await officer.send("/huy")
    assert "Bản nháp báo cáo Tháng 11/2026 vẫn được lưu; gõ /baocao để làm tiếp." in officer.text
    assert "bỏ qua" not in officer.text
    assert (await the_report(session_factory)).answers == {"sessions": 12, "attendance": 350}
    await officer.send("/baocao")
    await officer.choose(next(label for label in labels(officer) if label.startswith("Tháng 11/2026")))
    assert "Bạn đang làm dở báo cáo Tháng 11/2026" in officer.text and "Câu 3/10" in officer.text


async def test_hủy_typed_as_words_says_the_same(officer, clock):
    clock.now = NOV_10
    await open_report(officer)
    await officer.send("12")
    await officer.send("Hủy")
    assert "Bản nháp báo cáo Tháng 11/2026 vẫn được lưu" in officer.text


async def test_cancelling_before_a_period_is_chosen_or_a_sent_report(officer, clock):
    clock.now = NOV_10
    await officer.send("/baocao")  # two periods open: nothing chosen, nothing kept
    await officer.send("/huy")
    assert officer.text == "Đã hủy. Những gì bạn đang làm dở đã được bỏ qua."
    await open_report(officer)
    await fill_report(officer)
    await officer.choose("Gửi báo cáo")
    await officer.send("/baocao 2026-11")  # the summary of the report sent
    await officer.send("/huy")
    assert "Báo cáo Tháng 11/2026 đã gửi vẫn giữ nguyên" in officer.text and "Bản nháp" not in officer.text


async def test_a_command_outside_ones_role_says_whom_it_is_for(admin, session_factory, clock, dispatcher):
    await register_person(session_factory, clock, "500", "Phạm Thị Dung", "29641", "member")
    member = ChatUser(dispatcher, "500")
    await member.send("/dangtin")
    assert member.text.startswith("Lệnh /dangtin dành cho quản trị viên cấp tỉnh.")
    await member.send("đăng tin")  # the same in plain words
    assert member.text.startswith("Lệnh /dangtin dành cho quản trị viên cấp tỉnh.")
    await member.send("/hannop")
    assert member.text.startswith("Lệnh /hannop dành cho quản trị viên cấp tỉnh, quản trị viên đơn vị và cán bộ.")
    assert "chưa hiểu" not in member.text


async def test_the_fallback_names_trogiup(officer, stranger):
    await officer.send("xin chào")
    assert officer.text == "Mình chưa hiểu ý bạn. Gõ /trogiup để xem các lệnh bạn dùng được."
    await stranger.send("xin chào")
    assert "/trogiup" in stranger.text
    await officer.send("/khonglenh")
    assert "Gõ /trogiup" in officer.text and "/help" not in officer.text


async def test_a_members_consent_does_not_mention_reports(admin, stranger, dispatcher):
    code = await make_invite(admin, "Hội viên, đoàn viên")
    await stranger.send(f"/start {code}")
    assert "vai trò hội viên, đoàn viên của Xã Cái Nhum" in stranger.text
    assert "báo cáo" not in stranger.text
    officer_to_be = ChatUser(dispatcher, "201")
    await officer_to_be.send(f"/start {await make_invite(admin, 'Cán bộ')}")
    assert "gửi báo cáo" in officer_to_be.text


# Item 7: deadlines help.

async def test_period_choices_say_how_near_the_deadline_is(officer, clock):
    clock.now = NOV_10
    await officer.send("/baocao")
    assert labels(officer) == ["Tháng 10/2026 (hạn 18/10, quá hạn 23 ngày)", "Tháng 11/2026 (hạn 18/11, còn 8 ngày)"]


async def test_the_deadline_day_is_today_in_vietnam(officer, clock):
    clock.now = datetime(2026, 12, 17, 18, 0, tzinfo=UTC)  # 01:00 on 18 December in Vietnam
    await officer.send("/baocao")
    assert "Tháng 12/2026 (hạn 18/12, hạn hôm nay)" in labels(officer)
    await officer.send("/huy")
    await officer.send("/hannop")
    assert "- Tháng 12/2026: hạn 23:59 ngày 18/12/2026 – chưa làm (hạn hôm nay)" in officer.text


async def test_periods_come_by_deadline_then_month_quarter_half_year(officer, clock):
    clock.now = DEC_16
    await officer.send("/baocao")
    assert labels(officer) == [
        "Tháng 11/2026 (hạn 18/11, quá hạn 28 ngày)",
        "Tháng 12/2026 (hạn 18/12, còn 2 ngày)",
        "Quý IV/2026 (hạn 18/12, còn 2 ngày)",
        "6 tháng cuối năm 2026 (hạn 18/12, còn 2 ngày)",
        "Năm 2026 (hạn 18/12, còn 2 ngày)",
    ]


async def test_a_report_sent_shows_its_deadline_without_counting_days(officer, clock):
    clock.now = NOV_10
    await open_report(officer)
    await fill_report(officer)
    await officer.choose("Gửi báo cáo")
    await officer.send("/baocao")
    assert "Tháng 11/2026 (hạn 18/11) – đã gửi" in labels(officer)


async def test_hannop_has_a_button_per_report_owed_that_opens_it(officer, admin, clock):
    clock.now = NOV_10
    await officer.send("/hannop")
    assert labels(officer) == ["Làm báo cáo Tháng 10/2026", "Làm báo cáo Tháng 11/2026"]
    await officer.choose("Làm báo cáo Tháng 11/2026")
    assert "Câu 1/10" in officer.text
    await fill_report(officer)
    await officer.choose("Gửi báo cáo")
    assert "Đã gửi báo cáo Tháng 11/2026" in officer.text
    await officer.send("/hannop")
    assert labels(officer) == ["Làm báo cáo Tháng 10/2026"]  # November is sent: no longer owed
    await admin.send("/hannop")
    assert labels(admin) == []  # the province owes no report of its own


async def test_a_returned_report_comes_with_a_button_that_opens_it(officer, admin, clock):
    clock.now = NOV_10
    await open_report(officer)
    await fill_report(officer)
    await officer.choose("Gửi báo cáo")
    await admin.send(choice=officer.last.notices[0].choices[1].value)  # "Trả lại"
    await admin.send("Số buổi chưa khớp với sổ theo dõi")
    (returned,) = admin.last.notices
    assert [c.label for c in returned.choices] == ["Sửa báo cáo Tháng 11/2026"]
    await officer.send(choice=returned.choices[0].value)
    assert "Báo cáo Tháng 11/2026 – Xã Cái Nhum" in officer.text
    assert "Cấp trên đã trả lại báo cáo với lý do: Số buổi chưa khớp" in officer.text


async def test_the_console_line_of_the_help_does_not_say_it_is_for_computers_only(admin):
    await admin.send("/trogiup")
    line = next(line for line in admin.text.splitlines() if line.startswith("/quanly"))
    assert line == "/quanly (/web) – Mở trang quản lý trên trình duyệt, ở điện thoại hay máy tính (liên kết đăng nhập)"
