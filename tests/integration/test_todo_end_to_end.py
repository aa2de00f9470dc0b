"""Issue #12, items 1 and 2, end to end on Telegram and on Zalo through the emulators.

A number answers exactly one question: on Zalo a notice that arrives while another notice's
options are open does not take over the numbers (it points to /viec instead), so typing "1"
never starts an urgent issue by accident. /viec lists what waits for the admin; choosing an item
opens it with its options. When one admin acts, the others see it: their Telegram copy is
edited ("Đã được … chấp nhận lúc …", no buttons), and on Zalo the item leaves /viec and an old
option answers with a note.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.channels.zalo.texts import ZALO
from storage.models import NoticeMessage, Report, UrgentIssue
from tests.integration.conftest import ADMIN_ID, register
from tests.integration.drivers import ChatPerson, submit_report

OFFICER, MEMBER, SECOND_ADMIN, THIRD_ADMIN = 3003, 4004, 1002, 1003
NOV_10_0931 = datetime(2026, 11, 10, 2, 31, tzinfo=UTC)  # 09:31 in Vietnam


async def send_named_feedback(member: ChatPerson) -> None:
    await member.say("/phananh")
    await member.choose("Gửi có tên")
    await member.choose("Môi trường")
    await member.say("Kênh nội đồng bị ô nhiễm, cá chết nhiều.")
    await member.choose("Bỏ qua")
    thanks = await member.choose("Tiêu cực (lo lắng, bức xúc)")
    assert "PA-" in thanks[-1]["text"]


async def people(platform, harness, session_factory, clock) -> tuple[ChatPerson, ChatPerson, ChatPerson]:
    await register(session_factory, clock, platform=platform, n=OFFICER, name="Trần Thị Bình",
                   unit_code="29641", role="officer")
    await register(session_factory, clock, platform=platform, n=MEMBER, name="Lê Văn Cường",
                   unit_code="29641", role="member")
    return (harness.person(OFFICER, "Trần Thị Bình"), harness.person(MEMBER, "Lê Văn Cường"),
            harness.person(ADMIN_ID))


async def test_a_later_notice_does_not_take_the_numbers_and_viec_reaches_both(
    platform, harness, start_app, seeded, session_factory, clock
):
    clock.now = NOV_10_0931
    officer, member, admin = await people(platform, harness, session_factory, clock)
    await start_app()

    await submit_report(officer)
    report_notice = admin.new_messages()[-1]
    assert "Xã Cái Nhum đã gửi báo cáo Tháng 11/2026" in report_notice["text"]
    assert report_notice["options"] == ["Chấp nhận", "Trả lại"]
    await send_named_feedback(member)
    feedback_notice = admin.new_messages()[-1]
    assert "Kênh nội đồng bị ô nhiễm" in feedback_notice["text"]
    if platform == "zalo":  # the report's question is open: the feedback does not take its numbers
        assert feedback_notice["options"] == [] and ZALO["notice_waits"] in feedback_notice["text"]
    else:  # Telegram's buttons carry their own meaning
        assert feedback_notice["options"] == ["Trả lời", "Chuyển thành vụ việc khẩn"]

    listed = await admin.say("/viec")
    assert "Việc cần làm của bạn (2 việc)" in listed[-1]["text"]
    assert listed[-1]["options"] == ["Duyệt báo cáo Tháng 11/2026 – Xã Cái Nhum",
                                     listed[-1]["options"][1]]
    assert listed[-1]["options"][1].startswith("Phản ánh PA-")
    opened = await admin.choose("Duyệt báo cáo Tháng 11/2026 – Xã Cái Nhum")
    assert "Xã Cái Nhum đã gửi báo cáo Tháng 11/2026" in opened[-1]["text"]
    assert opened[-1]["options"] == ["Chấp nhận", "Trả lại"]
    accepted = await admin.choose("Chấp nhận")
    assert "Đã chấp nhận báo cáo Tháng 11/2026 của Xã Cái Nhum" in accepted[0]["text"]
    assert "đã được cấp trên chấp nhận" in officer.new_messages()[-1]["text"]

    left = await admin.say("việc cần làm")  # the plain words work too
    assert left[-1]["options"] == [listed[-1]["options"][1]]
    async with session_factory() as session:
        assert (await session.scalar(select(Report.status))) == "accepted"
        assert (await session.scalar(select(func.count()).select_from(UrgentIssue))) == 0


@pytest.mark.parametrize("platform", ["zalo"])  # Telegram has buttons: no number is typed
async def test_on_zalo_typing_1_answers_the_open_question_not_the_later_notice(
    platform, harness, start_app, seeded, session_factory, clock
):
    clock.now = NOV_10_0931
    officer, member, admin = await people(platform, harness, session_factory, clock)
    await start_app()
    await submit_report(officer)
    await send_named_feedback(member)
    admin.new_messages()

    answered = await admin.say("1")
    assert "Đã chấp nhận báo cáo Tháng 11/2026 của Xã Cái Nhum" in answered[0]["text"]
    async with session_factory() as session:
        assert (await session.scalar(select(Report.status))) == "accepted"
        assert (await session.scalar(select(func.count()).select_from(UrgentIssue))) == 0
    listed = await admin.say("việc")
    assert [o[:12] for o in listed[-1]["options"]] == ["Phản ánh PA-"]


async def test_when_one_admin_accepts_the_others_copy_says_so(
    platform, harness, start_app, seeded, session_factory, clock
):
    clock.now = NOV_10_0931
    await register(session_factory, clock, platform=platform, n=SECOND_ADMIN, name="Phạm Thị Dung",
                   unit_code="86", role="province_admin")
    officer, _, first = await people(platform, harness, session_factory, clock)
    second = harness.person(SECOND_ADMIN, "Phạm Thị Dung")
    await start_app()
    await submit_report(officer)
    assert second.new_messages()[-1]["options"] == ["Chấp nhận", "Trả lại"]
    pressable = harness.telegram.messages(SECOND_ADMIN)[-1]["buttons"] if platform == "telegram" else []
    first.new_messages()

    await first.choose("Chấp nhận")
    if platform == "telegram":
        copy = harness.telegram.messages(SECOND_ADMIN)[-1]
        assert "Báo cáo Tháng 11/2026 của Xã Cái Nhum" in copy["text"]
        assert "Đã được Nguyễn Văn An chấp nhận lúc 09:31." in copy["text"]
        assert copy["buttons"] == [] and copy["edited"]
        # A press that left before the edit arrived (a slow phone) gets the note, not an error.
        await harness.telegram.press_forged_button(SECOND_ADMIN, copy["message_id"], pressable[0][0]["data"])
        note = second.new_messages()
    else:
        note = await second.choose("Chấp nhận")  # the number of the old notice's option
        listed = await second.say("/viec")
        assert listed[-1]["text"] == "Hiện không có việc nào chờ bạn xử lý."
    assert note[0]["text"] == "Báo cáo này đã được Nguyễn Văn An chấp nhận lúc 09:31."
    async with session_factory() as session:
        copies = (await session.scalars(select(NoticeMessage))).all()
    assert {(c.kind, c.chat_id) for c in copies} == {
        ("report", harness.id_of(ADMIN_ID)), ("report", harness.id_of(SECOND_ADMIN))
    }


async def test_when_one_admin_acknowledges_an_urgent_issue_the_others_see_it(
    platform, harness, start_app, seeded, session_factory, clock
):
    clock.now = NOV_10_0931
    await register(session_factory, clock, platform=platform, n=SECOND_ADMIN, name="Phạm Thị Dung",
                   unit_code="86", role="province_admin")
    officer, _, first = await people(platform, harness, session_factory, clock)
    second = harness.person(SECOND_ADMIN, "Phạm Thị Dung")
    await start_app()
    await officer.say("/khancap")
    await officer.choose("Thiên tai, dịch bệnh")
    await officer.say("Lốc xoáy làm tốc mái 12 nhà ở ấp 3.")
    await officer.choose("Gửi ngay")
    assert "VỤ VIỆC KHẨN" in second.new_messages()[-1]["text"]
    item = (await second.say("/viec"))[-1]["options"]
    assert [o[:13] for o in item] == ["Vụ việc khẩn "]
    await first.choose("Đã tiếp nhận")

    if platform == "telegram":
        copy = harness.telegram.messages(SECOND_ADMIN)[-2]  # the alert, before /viec's list
        assert "VỤ VIỆC KHẨN" not in copy["text"] and "Đã được Nguyễn Văn An tiếp nhận lúc 09:31." in copy["text"]
        assert copy["buttons"] == []
    note = await second.choose(item[0])  # the item of a list shown before: a note, not an error
    assert note[-1]["text"] == "Vụ việc này đã được Nguyễn Văn An tiếp nhận lúc 09:31."
    listed = await second.say("/viec")
    assert listed[-1]["text"] == "Hiện không có việc nào chờ bạn xử lý."


async def test_when_one_admin_approves_content_the_other_approvers_see_it(
    platform, harness, start_app, seeded, session_factory, clock
):
    clock.now = NOV_10_0931
    for n, name in ((SECOND_ADMIN, "Phạm Thị Dung"), (THIRD_ADMIN, "Lê Thị Hoa")):
        await register(session_factory, clock, platform=platform, n=n, name=name, unit_code="86",
                       role="province_admin")
    author, approver, other = (harness.person(ADMIN_ID), harness.person(SECOND_ADMIN, "Phạm Thị Dung"),
                               harness.person(THIRD_ADMIN, "Lê Thị Hoa"))
    await start_app()
    await author.say("/dangtin")
    await author.say("Hội nghị tuyên truyền vào thứ Hai.")
    await author.choose("Không kèm")
    await author.choose("Thường xuyên")
    await author.choose("Tỉnh Vĩnh Long")
    await author.choose("Hội viên, đoàn viên")
    await author.choose("Xong")
    await author.choose("Gửi duyệt")
    assert "Hội nghị tuyên truyền" in other.new_messages()[-1]["text"]
    listed = (await other.say("/viec"))[-1]
    assert listed["options"] == ["Duyệt tin số 1"]
    pressable = harness.telegram.messages(THIRD_ADMIN)[-2]["buttons"] if platform == "telegram" else []

    await approver.choose("Duyệt và phát ngay")
    if platform == "telegram":
        copy = harness.telegram.messages(THIRD_ADMIN)[-2]
        assert copy["text"] == "Tin số 1\nĐã được Phạm Thị Dung duyệt lúc 09:31." and copy["buttons"] == []
        await harness.telegram.press_forged_button(THIRD_ADMIN, copy["message_id"], pressable[-1][-1]["data"])
        note = other.new_messages()
    else:
        note = await other.choose("Duyệt tin số 1")  # the number of the list shown before
    assert note[-1]["text"] == "Tin này đã được Phạm Thị Dung duyệt lúc 09:31."
    assert (await other.say("/viec"))[-1]["text"] == "Hiện không có việc nào chờ bạn xử lý."


@pytest.mark.parametrize("platform", ["zalo"])  # Telegram has buttons: no number is typed
async def test_on_zalo_a_notice_during_a_typed_answer_does_not_take_the_number_typed_next(
    platform, harness, start_app, seeded, session_factory, clock
):
    """A question answered by typing ("Câu 1/10: số buổi") has no options, yet it is the open
    question: a notice arriving meanwhile comes without its numbers, and "1" answers the question."""
    clock.now = NOV_10_0931
    officer, _, admin = await people(platform, harness, session_factory, clock)
    await start_app()
    await submit_report(officer, "Tháng 10/2026")
    started = await officer.say("/baocao")
    november = next(o for o in started[-1]["options"] if o.startswith("Tháng 11/2026"))
    await officer.choose(november)
    asked = await officer.choose("Nhập mới")  # not October's figures as suggestions
    assert "Câu 1/10" in asked[-1]["text"] and asked[-1]["options"] == []

    admin.new_messages()
    await admin.choose("Trả lại")  # October's report goes back while November's first question waits
    await admin.say("Thiếu số liệu phản biện")
    (returned,) = officer.new_messages()
    assert "đã bị cấp trên trả lại" in returned["text"] and returned["options"] == []
    assert "gõ /baocao" in returned["text"]

    answered = await officer.say("1")
    assert "Câu 2/10" in answered[-1]["text"]  # the number answered the question, nothing else opened
