"""Facebook Pages end to end on Telegram: a province admin links a Page in the chat, content chosen
for "Các Trang Facebook đã liên kết" is posted there once approved, and when Facebook refuses the
token the admins are told, in Vietnamese, what to do."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.emulator.facebook import READ, FacebookEmulator
from bot.services.pages.journal import PostJournal
from bot.services.pages.sealing import new_key
from bot.services.people import people
from broadcasts import approval as broadcasts
from broadcasts.audience import Audience
from storage.models import PageToken, Role
from tests.integration.conftest import ADMIN_ID, register

APPROVER, PAGE, TOKEN = 1002, "300000000000001", "EAAGtoken-of-the-commune-page"
TEXT = "Mời bà con dự ngày hội Đại đoàn kết tại nhà văn hóa ấp lúc 7 giờ Chủ nhật."


@pytest.fixture
async def fb() -> AsyncIterator[FacebookEmulator]:
    emulator = FacebookEmulator()
    await emulator.start()
    emulator.add_page(PAGE, "MTTQ xã Cái Nhum", TOKEN)
    yield emulator
    await emulator.stop()


async def test_link_a_page_in_the_chat_post_to_it_and_hear_when_its_token_expires(
    harness, emulator, fb, start_app, seeded, session_factory, clock
):
    app = await start_app(page_token_key=new_key(), facebook_graph_api_base_url=fb.base_url)
    await register(session_factory, clock, platform="telegram", n=APPROVER, name="Lê Thị Hoa", unit_code="86",
                   role=Role.PROVINCE_ADMIN)
    emulator.add_user(APPROVER, "Hoa")
    admin, approver = harness.person(ADMIN_ID), harness.person(APPROVER)

    assert "Chưa có Trang Facebook nào được liên kết." in admin.text(await admin.say("/fanpage"))
    linked = admin.text(await admin.say(f"/fanpage them 29641 {PAGE} {TOKEN}"))
    assert f"Đã liên kết Trang {PAGE} với Xã Cái Nhum" in linked and "mã hóa" in linked
    assert TOKEN not in linked
    async with session_factory() as session:
        [sealed] = await session.scalars(select(PageToken.token))
    assert TOKEN not in sealed
    listing = admin.text(await admin.say("/pages"))
    assert f"(mã {PAGE}) – Xã Cái Nhum: đang hoạt động" in listing and TOKEN not in listing

    await admin.say("/dangtin")
    await admin.say(TEXT)
    await admin.choose("Không kèm")
    await admin.choose("Thường xuyên")
    await admin.choose("Tỉnh Vĩnh Long")
    await admin.choose("Các Trang Facebook đã liên kết")
    preview = (await admin.choose("Xong"))[-1]
    assert "Số người/nhóm sẽ nhận: 1." in preview["text"]
    await admin.choose("Gửi duyệt")
    assert fb.posts(PAGE) == []  # nothing before approval
    await approver.choose("Duyệt và phát ngay")
    assert await fb.wait_for(lambda: len(fb.posts(PAGE)) == 1)
    assert fb.posts(PAGE)[0].message == TEXT
    assert await emulator.wait_for(
        lambda: any(fb.posts(PAGE)[0].id in (m["text"] or "") for m in emulator.messages(ADMIN_ID))
    )  # the author's summary names the post

    fb.expire_token(PAGE)
    async with session_factory() as session, session.begin():
        actor = await people.load_actor(session, "telegram", str(ADMIN_ID))
        other = await people.load_actor(session, "telegram", str(APPROVER))
        audience = Audience(units=("86",), roles=(), include_pages=True)
        item = await broadcasts.create(session, actor, text="Tin thứ hai", audience=audience, now=clock())
        await broadcasts.submit(session, actor, item.id, now=clock())
        await broadcasts.approve(session, other, item.id, now=clock())
        await broadcasts.send_now(session, other, item.id, now=clock())
    app._wake_outbox()

    def told(chat: int) -> list[str]:
        return [m["text"] for m in emulator.messages(chat) if "đã ngừng nhận tin" in (m["text"] or "")]

    assert await emulator.wait_for(lambda: told(ADMIN_ID) and told(APPROVER))
    notice = told(ADMIN_ID)[0]
    assert "mã truy cập" in notice and f"/fanpage them 29641 {PAGE}" in notice and TOKEN not in notice
    assert "hỏng từ" in admin.text(await admin.say("/fanpage"))
    assert len(fb.posts(PAGE)) == 1


async def release_for_pages(session_factory, clock, text: str) -> int:
    """Content for the province's Pages, written by the admin, approved by the other one, released."""
    async with session_factory() as session, session.begin():
        actor = await people.load_actor(session, "telegram", str(ADMIN_ID))
        other = await people.load_actor(session, "telegram", str(APPROVER))
        audience = Audience(units=("86",), roles=(), include_pages=True)
        item = await broadcasts.create(session, actor, text=text, audience=audience, now=clock())
        await broadcasts.submit(session, actor, item.id, now=clock())
        await broadcasts.approve(session, other, item.id, now=clock())
        await broadcasts.send_now(session, other, item.id, now=clock())
        return item.id


async def test_a_token_that_cannot_read_the_feed_breaks_the_link_on_a_retry_and_the_admins_hear(
    harness, emulator, fb, start_app, seeded, session_factory, clock
):
    """A retry (after a crash, a 500, a lost answer) first reads the Page's feed; a token without
    pages_read_engagement is refused there. The admins hear it as for an expired token, and
    /fanpage says the link is broken (it no longer gets anything)."""
    app = await start_app(page_token_key=new_key(), facebook_graph_api_base_url=fb.base_url)
    await register(session_factory, clock, platform="telegram", n=APPROVER, name="Lê Thị Hoa", unit_code="86",
                   role=Role.PROVINCE_ADMIN)
    emulator.add_user(APPROVER, "Hoa")
    admin = harness.person(ADMIN_ID)
    await admin.say(f"/fanpage them 29641 {PAGE} {TOKEN}")
    fb.take_permission(PAGE, READ)

    await app.outbox.stop()  # released while the outbox is down, and as if an attempt had been cut short
    broadcast_id = await release_for_pages(session_factory, clock, TEXT)
    await PostJournal(session_factory).begin(PAGE, f"broadcast:{broadcast_id}", clock())
    await app.outbox.start()
    app._wake_outbox()

    def told(chat: int) -> list[str]:
        return [m["text"] for m in emulator.messages(chat) if "đã ngừng nhận tin" in (m["text"] or "")]

    assert await emulator.wait_for(lambda: told(ADMIN_ID) and told(APPROVER))
    assert "pages_read_engagement" in told(ADMIN_ID)[0] and f"/fanpage them 29641 {PAGE}" in told(ADMIN_ID)[0]
    listing = admin.text(await admin.say("/fanpage"))
    assert "hỏng từ" in listing and "đang hoạt động" not in listing
    assert fb.posts(PAGE) == []


def written(harness, platform: str) -> list[str]:
    """What the admin's own messages in their chat with the bot still say."""
    chat = harness.id_of(ADMIN_ID)
    emulator = harness.telegram if platform == "telegram" else harness.zalo
    return [m["text"] or "" for m in emulator.messages(int(chat) if platform == "telegram" else chat, from_bot=False)]


async def test_the_message_with_the_token_is_deleted_on_telegram_and_asked_for_on_zalo(
    platform, harness, fb, start_app, seeded, session_factory
):
    await start_app(page_token_key=new_key(), facebook_graph_api_base_url=fb.base_url)
    admin = harness.person(ADMIN_ID)
    replies = admin.text(await admin.say(f"/fanpage them 29641 {PAGE} {TOKEN}"))
    assert f"Đã liên kết Trang {PAGE} với Xã Cái Nhum" in replies and TOKEN not in replies
    if platform == "telegram":  # a bot may delete a person's message in a private chat
        assert "bot đã xóa tin nhắn chứa mã truy cập" in replies and "bạn hãy xóa" not in replies
        assert not any(TOKEN in text for text in written(harness, platform))
        assert harness.telegram.deleted
    else:  # Zalo has no delete: the admin is asked to
        assert "bạn hãy xóa tin nhắn chứa mã truy cập" in replies
        assert any(TOKEN in text for text in written(harness, platform))


async def test_when_telegram_refuses_the_delete_the_admin_is_asked_to_delete_it(
    harness, emulator, fb, start_app, seeded
):
    await start_app(page_token_key=new_key(), facebook_graph_api_base_url=fb.base_url)
    emulator.fail_next("deleteMessage", 400, "Bad Request: message can't be deleted")
    admin = harness.person(ADMIN_ID)
    replies = admin.text(await admin.say(f"/fanpage them 29641 {PAGE} {TOKEN}"))
    assert f"Đã liên kết Trang {PAGE}" in replies
    assert "bạn hãy xóa tin nhắn chứa mã truy cập" in replies and "bot đã xóa" not in replies
    assert any(TOKEN in text for text in written(harness, "telegram"))
