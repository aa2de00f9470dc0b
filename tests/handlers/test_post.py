"""The content workflow in chat: draft, preview, four-eyes approval, schedule, status, stop."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from handlers.flow import HandlerConfig
from handlers.registry import build_dispatcher
from storage.models import Broadcast, Delivery
from tests.handlers.conftest import register_person
from tests.support import ChatUser

TEXT = "Kính mời hội viên dự hội nghị tuyên truyền Nghị quyết vào 8 giờ sáng thứ Hai."


@pytest.fixture
async def second_admin(admin, session_factory, clock, dispatcher) -> ChatUser:
    await register_person(session_factory, clock, "101", "Lê Thị Hoa", "86", "province_admin")
    return ChatUser(dispatcher, "101")


async def members(session_factory, clock, n: int = 3) -> None:
    for i in range(n):
        await register_person(session_factory, clock, f"50{i}", f"Hội viên {i}", "29641", "member")


async def draft(admin: ChatUser, *also: str) -> None:
    """Content to the province's members (and `also` these audience options) up to its preview."""
    await admin.send("/dangtin")
    await admin.send(TEXT)
    await admin.choose("Không kèm")
    await admin.choose("Trọng tâm")
    await admin.choose("Tỉnh Vĩnh Long")
    await admin.choose("Hội viên, đoàn viên")
    for option in also:
        await admin.choose(option)
    await admin.choose("Xong")


async def deliveries(session_factory) -> int:
    async with session_factory() as session:
        return await session.scalar(select(func.count()).select_from(Delivery))


async def test_preview_submit_and_approval_by_another_admin(admin, second_admin, officer, session_factory, clock):
    await members(session_factory, clock)
    await draft(admin)
    preview = admin.text
    assert "XEM TRƯỚC" in preview and TEXT in preview and "Số người/nhóm sẽ nhận: 3." in preview
    await admin.choose("Gửi duyệt")
    assert "Đã gửi tin số 1 để duyệt" in admin.text
    (notice,) = admin.last.notices
    assert notice.chat_id == "101" and [c.label for c in notice.choices] == [
        "Duyệt và phát ngay", "Duyệt và hẹn giờ", "Từ chối"]
    assert await deliveries(session_factory) == 0  # nothing unapproved is ever expanded

    await admin.send(choice=notice.choices[0].value)  # the author tries to approve it himself
    assert "không thể tự duyệt" in admin.text
    await officer.send(choice=notice.choices[0].value)
    assert "Chỉ quản trị viên cấp tỉnh" in officer.text
    assert await deliveries(session_factory) == 0

    await second_admin.send(choice=notice.choices[0].value)
    assert "Đã duyệt tin số 1; đang gửi tới 3 người/nhóm" in second_admin.text
    assert second_admin.last.notices[0].chat_id == "100"  # the author hears of it
    assert await deliveries(session_factory) == 3


async def test_members_and_officers_cannot_post(officer, dispatcher, session_factory, clock):
    await officer.send("/post")  # the English name is refused with the alias people know
    assert officer.text.startswith("Lệnh /dangtin dành cho quản trị viên cấp tỉnh.")
    assert "chưa hiểu" not in officer.text


async def test_rejection_reaches_the_author_with_the_reason(admin, second_admin, session_factory, clock):
    await members(session_factory, clock, 1)
    await draft(admin)
    await admin.choose("Gửi duyệt")
    reject = admin.last.notices[0].choices[2].value
    await second_admin.send(choice=reject)
    await second_admin.send("Sai ngày hội nghị")
    assert "Đã từ chối tin số 1" in second_admin.text
    assert "bị từ chối. Lý do: Sai ngày hội nghị" in second_admin.last.notices[0].text
    assert await deliveries(session_factory) == 0


async def test_scheduled_then_cancelled(admin, second_admin, session_factory, clock):
    await members(session_factory, clock, 1)
    await draft(admin)
    await admin.choose("Gửi duyệt")
    later = admin.last.notices[0].choices[1].value
    await second_admin.send(choice=later)
    await second_admin.send("hôm qua")
    assert "không đúng mẫu ngày giờ" in second_admin.text
    await second_admin.send("01/01/2020 07:00")
    assert "đã qua" in second_admin.text
    await second_admin.send("27/11/2026 07:30")
    assert "sẽ gửi lúc 07:30 ngày 27/11/2026" in second_admin.text
    async with session_factory() as session:
        broadcast = (await session.execute(select(Broadcast))).scalar_one()
    assert broadcast.status == "scheduled"
    await admin.send("/trangthai")
    assert "Tin số 1 (đã hẹn giờ)" in admin.text
    await admin.send("/huytin 1")
    assert "Đã hủy tin số 1" in admin.text
    await admin.send("/huytin 1")  # the feature refuses with keys; the catalogue words them
    assert admin.text == "Tin số 1 đang ở trạng thái “đã hủy”, không thể hủy."


async def test_self_approval_when_the_province_allows_it(admin, session_factory, clock):
    await members(session_factory, clock, 2)
    woken = []
    config = replace(HandlerConfig(), allow_self_approval=True, wake_outbox=lambda: woken.append(True))
    only_admin = ChatUser(build_dispatcher(session_factory, config, clock), "100")
    await draft(only_admin)
    await only_admin.choose("Gửi duyệt")
    assert "đã được duyệt (tỉnh cho phép tự duyệt) và đang được gửi tới 2" in only_admin.text
    assert woken == [True]  # the outbox is woken once the deliveries are committed
    assert await deliveries(session_factory) == 2


async def test_status_and_stop(admin, second_admin, session_factory, clock):
    await members(session_factory, clock, 2)
    await draft(admin)
    await admin.choose("Gửi duyệt")
    await second_admin.send(choice=admin.last.notices[0].choices[0].value)
    await admin.send("/trangthai 1")
    assert "Tin số 1 – đang gửi." in admin.text and "Đang chờ gửi: 2" in admin.text
    await admin.send("/dungtin 1")
    assert "Đã dừng tin số 1" in admin.text
    await admin.send("/trangthai 1")
    assert "Đã hủy (không gửi): 2" in admin.text


async def test_a_poll_is_drafted_in_chat_and_goes_for_approval(admin, second_admin, session_factory, clock):
    await members(session_factory, clock, 2)
    await admin.send("/thamdo")
    await admin.send("Bà con muốn họp vào buổi nào?")
    await admin.send("Sáng thứ Bảy")
    assert "từ 2 đến 6 phương án" in admin.text
    await admin.send("Sáng thứ Bảy\nChiều Chủ nhật\nTối thứ Sáu")
    await admin.choose("Tỉnh Vĩnh Long")
    await admin.choose("Hội viên, đoàn viên")
    await admin.choose("Xong")
    assert "Đã tạo khảo sát số 1 (tin số 1) và gửi duyệt" in admin.text
    (notice,) = admin.last.notices
    assert notice.chat_id == "101" and "Bà con muốn họp vào buổi nào?" in notice.text
    await second_admin.send(choice=notice.choices[0].value)
    assert "đang gửi tới 2 người/nhóm" in second_admin.text


async def _person_id(session_factory, user_id: str) -> int:
    from bot.services.people import people

    async with session_factory() as session:
        return (await people.find_identity(session, "telegram", user_id)).person_id


async def test_the_web_consoles_draft_is_cleaned_then_goes_for_approval_as_in_chat(
    admin, second_admin, dispatcher, session_factory, clock
):
    """The console's compose: the same rules and the same notice to the other admin as /dangtin."""
    from broadcasts.audience import Audience
    from handlers import post
    from handlers.dispatch import Refused

    await members(session_factory, clock, 2)
    author, other = await _person_id(session_factory, "100"), await _person_id(session_factory, "101")
    audience = Audience(units=("86",), roles=("member",))
    typed = '<b>Hội nghị</b> & <script>alert(1)</script><a href="javascript:x()">bấm</a> <i>nhé'
    saved: list[int] = []

    async def draft_it(ctx, engine):
        broadcast, replies = await post.save_draft(ctx, text=typed, topic="focal", audience=audience)
        saved.append(broadcast.id)
        return replies

    response = await dispatcher.act(author, draft_it)
    assert response.replies[0].text == "Đã lưu bản nháp tin số 1. Xem trước rồi gửi duyệt."
    async with session_factory() as session:
        stored = await session.get(Broadcast, saved[0])
    assert (stored.text, stored.html, stored.status) == ("<b>Hội nghị</b> &amp; bấm <i>nhé</i>", True, "draft")

    with pytest.raises(Refused) as refused:  # only the author sends their draft
        await dispatcher.act(other, lambda ctx, engine: post.submit_draft(ctx, saved[0]))
    assert refused.value.message == "Chỉ quản trị viên cấp tỉnh mới soạn, duyệt và phát tin."
    response = await dispatcher.act(author, lambda ctx, engine: post.submit_draft(ctx, saved[0]))
    assert response.replies[0].text.startswith("Đã gửi tin số 1 để duyệt")
    (notice,) = response.notices
    assert notice.chat_id == "101" and "Hội nghị & bấm nhé" in notice.text and "Gửi tới 2 người/nhóm" in notice.text
    assert [c.label for c in notice.choices] == ["Duyệt và phát ngay", "Duyệt và hẹn giờ", "Từ chối"]

    too_long = "x" * (post.MAX_TEXT + 1)
    with pytest.raises(Refused) as refused:
        await dispatcher.act(author, lambda ctx, engine: post.save_draft(ctx, text=too_long, topic="regular",
                                                                          audience=audience))
    assert "vượt quá 4000 ký tự" in refused.value.message


async def test_content_for_the_pages_is_refused_while_composed_when_pages_are_off(admin, session_factory):
    """Without PAGE_TOKEN_KEY nothing here can publish on a Page: choosing the Pages is refused
    at once, with what to do, and the question stays open with the ticks as they were."""
    await draft(admin, "Các Trang Facebook đã liên kết")
    assert "Chức năng Trang Facebook chưa được bật trên máy chủ" in admin.text
    assert "bỏ chọn “Các Trang Facebook đã liên kết”" in admin.text
    assert "XEM TRƯỚC" not in admin.text
    await admin.choose("✓ Các Trang Facebook đã liên kết")  # untick it
    await admin.choose("Xong")
    assert "XEM TRƯỚC" in admin.text
    await admin.choose("Gửi duyệt")
    async with session_factory() as session:
        [broadcast] = await session.scalars(select(Broadcast))
    assert "include_pages" not in broadcast.audience
