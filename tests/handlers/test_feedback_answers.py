"""Named feedback answered by an admin, looked up by its sender; anonymous feedback says it cannot be."""

from __future__ import annotations

import re

from sqlalchemy import select

from storage.models import AuditEntry, Feedback
from tests.handlers.conftest import register_person
from tests.support import ChatUser

REFERENCE = re.compile(r"PA-\d{4}-\w{4}")


async def named_feedback(person: ChatUser, text_: str = "Đường liên ấp sạt lở") -> str:
    await person.send("/phananh")
    await person.choose("Gửi có tên")
    await person.choose("Môi trường")
    await person.send(text_)
    await person.choose("Bỏ qua")
    await person.choose("Bỏ qua")
    return REFERENCE.search(person.text).group(0)


def offered(person: ChatUser) -> list[str]:
    return [choice.label for reply in person.last.replies for choice in reply.choices]


def button(outgoing, label: str) -> str:
    return next(c.value for c in outgoing.choices if c.label == label)


async def test_an_admin_answers_named_feedback_and_the_sender_gets_it(officer, admin, session_factory):
    reference = await named_feedback(officer)
    (notice,) = officer.last.notices
    await admin.send("/viec")
    assert any(reference in label for label in offered(admin))  # waiting for an answer
    assert "Người gửi: Trần Thị Bình – Xã Cái Nhum" in notice.text
    assert [c.label for c in notice.choices] == ["Trả lời", "Chuyển thành vụ việc khẩn"]

    await admin.send(choice=button(notice, "Trả lời"))
    assert f"trả lời cho người gửi ý kiến {reference}" in admin.text and "Đường liên ấp sạt lở" in admin.text
    await admin.send("x")  # too short: told so, the step is kept
    assert "Câu trả lời" not in admin.text and "trả lời cho người gửi" in admin.text
    await admin.send("Xã đã cử người gia cố, dự kiến xong trong tuần.")
    assert "Gửi câu trả lời này tới người gửi?" in admin.text and "dự kiến xong trong tuần" in admin.text
    await admin.choose("Gửi trả lời")
    assert f"Đã gửi câu trả lời tới người gửi ý kiến {reference}" in admin.text
    (to_sender,) = admin.last.notices
    assert to_sender.chat_id == "300" and to_sender.platform == "telegram"
    assert f"trả lời ý kiến {reference}" in to_sender.text and "dự kiến xong trong tuần" in to_sender.text
    await admin.send("/viec")
    assert not any(reference in label for label in offered(admin))  # answered: it no longer waits

    async with session_factory() as session:
        item = (await session.execute(select(Feedback))).scalar_one()
        audited = (await session.execute(select(AuditEntry).where(AuditEntry.action == "feedback.answer"))).scalar_one()
    assert item.answer == "Xã đã cử người gia cố, dự kiến xong trong tuần." and item.answered_at is not None
    assert audited.target == f"feedback:{item.id}" and audited.actor_id == item.answered_by


async def test_a_second_admin_is_told_it_was_answered_already(officer, admin, session_factory, clock, dispatcher):
    await register_person(session_factory, clock, "101", "Lê Thị Hoa", "86", "province_admin")
    second = ChatUser(dispatcher, "101")
    await named_feedback(officer)
    notice = next(n for n in officer.last.notices if n.chat_id == "101")
    await second.send(choice=button(notice, "Trả lời"))  # both start answering
    await admin.send(choice=button(notice, "Trả lời"))
    await admin.send("Đã tiếp nhận, xã sẽ xử lý.")
    await admin.choose("Gửi trả lời")
    await second.send("Một câu trả lời khác.")
    await second.choose("Gửi trả lời")
    assert "đã được Nguyễn Văn An trả lời lúc" in second.text and not second.last.notices
    await second.send(choice=button(notice, "Trả lời"))  # the button pressed again later
    assert "đã được Nguyễn Văn An trả lời lúc" in second.text
    async with session_factory() as session:
        item = (await session.execute(select(Feedback))).scalar_one()
    assert item.answer == "Đã tiếp nhận, xã sẽ xử lý."


async def test_only_the_admins_above_may_answer(officer, admin, session_factory, clock, dispatcher):
    await register_person(session_factory, clock, "102", "Admin xã khác", "29653", "unit_admin")
    await named_feedback(officer)
    notice = officer.last.notices[0]
    await officer.send(choice=button(notice, "Trả lời"))
    assert "không có quyền" in officer.text
    other_commune = ChatUser(dispatcher, "102")
    await other_commune.send(choice=button(notice, "Trả lời"))
    assert "không có quyền" in other_commune.text
    async with session_factory() as session:
        assert (await session.execute(select(Feedback.answered_at))).scalar_one() is None


async def test_the_sender_looks_up_their_feedback_and_nobody_else_can(officer, admin, session_factory, clock, dispatcher):
    reference = await named_feedback(officer)
    thanks = officer.last.replies[-1]
    assert f"/phananh {reference}" in thanks.text
    notice = officer.last.notices[0]

    await officer.send(f"/phananh {reference.lower()}")
    assert reference in officer.text and "đã tiếp nhận" in officer.text and "Đường liên ấp sạt lở" in officer.text
    await officer.send(choice=button(thanks, "Xem phản ánh của tôi"))
    assert "đã tiếp nhận" in officer.text

    await admin.send(choice=button(notice, "Chuyển thành vụ việc khẩn"))
    await admin.choose("Gửi ngay")
    await officer.send(f"/phananh {reference}")
    assert "chuyển thành vụ việc khẩn" in officer.text

    await admin.send(choice=button(notice, "Trả lời"))
    await admin.send("Đã gia cố xong.")
    await admin.choose("Gửi trả lời")
    await officer.send(f"/phananh {reference}")
    assert "đã trả lời lúc" in officer.text and "Trả lời: Đã gia cố xong." in officer.text

    await register_person(session_factory, clock, "301", "Người khác", "29641", "member")
    other = ChatUser(dispatcher, "301")
    await other.send(f"/phananh {reference}")
    assert "Không tìm thấy ý kiến" in other.text and "Đường liên ấp" not in other.text
    await other.send(choice=button(thanks, "Xem phản ánh của tôi"))
    assert "Không tìm thấy ý kiến" in other.text


async def test_anonymous_feedback_says_it_cannot_be_answered_and_has_no_lookup(officer, admin, stranger):
    await stranger.send("/phananh")
    assert "ý kiến ẩn danh không thể được trả lời và không tra cứu được" in stranger.text
    await stranger.choose("Gửi ẩn danh")
    await stranger.choose("Môi trường")
    await stranger.send("cai nhum")
    await stranger.send("Kênh nội đồng bị ô nhiễm.")
    await stranger.choose("Bỏ qua")
    await stranger.choose("Bỏ qua")
    assert "không thể được trả lời và không tra cứu được" in stranger.text
    assert not stranger.last.replies[-1].choices  # no "Xem phản ánh của tôi"
    (notice,) = stranger.last.notices
    assert "Người gửi: ẩn danh (không thể trả lời)" in notice.text
    assert [c.label for c in notice.choices] == ["Chuyển thành vụ việc khẩn"]
    reference = REFERENCE.search(stranger.text).group(0)
    await stranger.send(f"/phananh {reference}")
    assert "Không tìm thấy ý kiến" in stranger.text and "Kênh nội đồng" not in stranger.text
