"""The handler functions the web console runs (`Dispatcher.act`): the chat's own rules, notices
and audit, without a chat step in between."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from handlers import feedback, invite
from handlers.answers import typed_text
from handlers.dispatch import Refused
from storage.models import AuditEntry, Invite, UrgentIssue
from tests.handlers.conftest import register_person
from tests.handlers.test_feedback_answers import button, named_feedback


async def _count(session_factory, model, *where) -> int:
    async with session_factory() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def test_feedback_is_turned_into_an_urgent_issue_once(officer, admin, dispatcher, session_factory, clock):
    await register_person(session_factory, clock, "101", "Lê Thị Hoa", "86", "province_admin")
    reference = await named_feedback(officer)
    feedback_id = int(button(officer.last.notices[0], "Trả lời").rsplit(":", 1)[1])

    done = await dispatcher.act(1, lambda ctx, engine: feedback.escalate_feedback(ctx, feedback_id))
    assert "Đã gửi vụ việc khẩn KC-" in done.replies[0].text
    alerts = [n for n in done.notices if "VỤ VIỆC KHẨN" in n.text]
    assert {n.chat_id for n in alerts} == {"100", "101"} and reference in alerts[0].text

    again = await dispatcher.act(1, lambda ctx, engine: feedback.escalate_feedback(ctx, feedback_id))
    assert "Phản ánh này đã được Nguyễn Văn An chuyển thành vụ việc khẩn lúc" in again.replies[0].text
    await admin.send(choice=button(officer.last.notices[0], "Chuyển thành vụ việc khẩn"))  # the chat's old button
    assert "Phản ánh này đã được Nguyễn Văn An chuyển thành vụ việc khẩn lúc" in admin.text
    assert await _count(session_factory, UrgentIssue) == 1


async def test_text_typed_in_the_console_is_held_to_the_chats_rule(officer, admin, dispatcher):
    await named_feedback(officer)
    feedback_id = int(button(officer.last.notices[0], "Trả lời").rsplit(":", 1)[1])
    with pytest.raises(Refused, match="Bạn chưa nhập nội dung"):
        await dispatcher.act(1, lambda ctx, engine: feedback.send_answer(
            ctx, feedback_id, typed_text(feedback.ANSWER_TEXT, "   ")))
    with pytest.raises(Refused, match="Nội dung quá ngắn: cần ít nhất 2 ký tự"):
        await dispatcher.act(1, lambda ctx, engine: feedback.send_answer(
            ctx, feedback_id, typed_text(feedback.ANSWER_TEXT, "  x ")))
    with pytest.raises(Refused, match="vượt quá 1000 ký tự"):
        await dispatcher.act(1, lambda ctx, engine: feedback.send_answer(
            ctx, feedback_id, typed_text(feedback.ANSWER_TEXT, "a" * 1001)))
    done = await dispatcher.act(1, lambda ctx, engine: feedback.send_answer(
        ctx, feedback_id, typed_text(feedback.ANSWER_TEXT, " Đã xử lý\x00. ")))
    assert "Đã gửi câu trả lời" in done.replies[0].text
    assert "Đã xử lý." in done.notices[0].text and done.notices[0].chat_id == "300"


async def test_invites_for_many_units_under_the_rules_of_moi(admin, dispatcher, session_factory, clock):
    made: list = []

    async def work(ctx, engine):
        made.extend(await invite.create_for_units(ctx, ["29641", "29653"], "officer", 2))
        return [invite.bulk_created(made, ctx)]

    done = await dispatcher.act(1, work)
    assert "Đã tạo 4 mã mời cho 2 đơn vị" in done.replies[0].text
    assert [(i.unit_code, i.role) for i in made] == [("29641", "officer")] * 2 + [("29653", "officer")] * 2
    assert all(i.link == f"https://t.me/ketnoi_bot?start={i.code}" for i in made)
    assert await _count(session_factory, Invite) == 4
    assert await _count(session_factory, AuditEntry, AuditEntry.action == "invite.create") == 2

    for codes, role, per_unit, refusal in (
        (["29641"], "province_admin", 1, "không có quyền"),  # one at a time, with /moi
        (["29641"], "officer", 21, "từ 1 đến 500"),
        (["99999"], "officer", 1, "không có quyền"),
    ):
        with pytest.raises(Refused, match=refusal):
            await dispatcher.act(1, lambda ctx, engine, c=codes, r=role, n=per_unit: invite.create_for_units(
                ctx, c, r, n))
    await register_person(session_factory, clock, "102", "Phạm Văn Cường", "29623", "unit_admin")
    with pytest.raises(Refused, match="không có quyền"):  # a commune's admin, for another commune
        await dispatcher.act(2, lambda ctx, engine: invite.create_for_units(ctx, ["29641"], "officer", 1))
    assert await _count(session_factory, Invite) == 4
