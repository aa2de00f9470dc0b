"""/viec (việc cần làm) is the admins' command: in their /trogiup and menu, refused to others with
the roles it is for; with nothing waiting it says so."""

from __future__ import annotations

from handlers.registry import build_catalogue
from storage.models import Role


async def test_admins_see_viec_in_help_and_an_empty_list_says_so(admin, officer):
    await admin.send("/trogiup")
    assert "/viec" in admin.text
    assert "Hiện không có việc nào chờ bạn xử lý." in (await admin.send("việc cần làm"))[0].text
    assert "Hiện không có việc nào chờ bạn xử lý." in (await admin.send("/viec"))[0].text

    await officer.send("/trogiup")
    assert "/viec" not in officer.text
    refused = (await officer.send("/viec"))[0].text
    assert refused.startswith("Lệnh /viec dành cho quản trị viên cấp tỉnh và quản trị viên đơn vị.")


def test_viec_is_in_the_menu_of_the_roles_that_have_such_work():
    todo = build_catalogue().find("viec")
    assert todo is not None and todo.roles == frozenset({Role.PROVINCE_ADMIN, Role.UNIT_ADMIN})


async def test_returning_a_report_edits_the_other_reviewers_copies_but_not_ones_own(
    officer, admin, clock, session_factory
):
    from datetime import UTC, datetime

    from bot.services import notices
    from tests.support import fill_report, open_report

    clock.now = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam
    await open_report(officer)
    await fill_report(officer)
    await officer.choose("Gửi báo cáo")
    report_id = officer.last.notices[0].about[1]
    async with session_factory() as session, session.begin():  # what the root records as it sends
        notices.record(session, ("report", report_id), "telegram", "100", "7", clock.now)
        notices.record(session, ("report", report_id), "zalo", "5a-other-admin", "8", clock.now)
    await admin.send(choice=officer.last.notices[0].choices[1].value)
    await admin.send("Thiếu số liệu phản biện")
    (edit,) = admin.last.edits
    assert (edit.platform, edit.chat_id, edit.message_id) == ("zalo", "5a-other-admin", "8")
    assert edit.text == "Báo cáo Tháng 11/2026 của Xã Cái Nhum\nĐã được Nguyễn Văn An trả lại lúc 09:00."


async def test_viec_in_the_middle_of_a_flow_is_the_question_until_an_item_is_settled(officer, admin, clock):
    """On Zalo a number answers the latest options: the list (then the opened item) must be that
    question, not the step of the flow the admin was in; once the item is settled the step returns."""
    from datetime import UTC, datetime

    from tests.support import fill_report, open_report

    clock.now = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
    await open_report(officer)
    await fill_report(officer)
    await officer.choose("Gửi báo cáo")
    await admin.send("/tiendo")  # a flow whose step offers options (the period)
    step = admin.last.replies[-1].text

    listed = await admin.send("/viec")
    assert [r.text for r in listed if r.text == step] == [], "the step was asked again after the list"
    assert listed[-1].choices[0].label == "Duyệt báo cáo Tháng 11/2026 – Xã Cái Nhum"
    opened = await admin.choose(listed[-1].choices[0].label)
    assert [c.label for c in opened[-1].choices][:2] == ["Chấp nhận", "Trả lại"]
    settled = await admin.choose("Chấp nhận")
    assert settled[-1].text.endswith(step)  # the step of /tiendo, asked again
