"""/fanpage (/pages): only province admins, only in a private chat for a token, never shown back."""

from __future__ import annotations

from sqlalchemy import select

from bot.services.pages.sealing import TokenBox, new_key
from bot.services.people import people, units
from handlers.flow import HandlerConfig
from handlers.registry import build_dispatcher
from storage.models import PageToken
from tests.support import ChatUser

PAGE, TOKEN = "1234567890", "EAAGsecret"


async def test_a_token_sent_in_a_group_is_refused_and_not_stored(admin, session_factory):
    replies = await admin.send(f"/fanpage them 29641 {PAGE} {TOKEN}", chat_type="group")
    assert "nhắn riêng cho bot" in replies[0].text  # a group gets no command at all
    async with session_factory() as session:
        assert list(await session.scalars(select(PageToken))) == []


async def test_without_a_key_linking_is_off_but_listing_works(admin):
    assert "chưa được bật" in (await admin.send(f"/fanpage them 29641 {PAGE} {TOKEN}"))[0].text
    assert "Chưa có Trang Facebook" in (await admin.send("/pages"))[0].text


async def test_link_list_and_unlink_with_a_key(admin, session_factory, clock):
    box = TokenBox(new_key())
    keyed = ChatUser(build_dispatcher(session_factory, HandlerConfig(page_box=box), clock), "100")
    assert "Không có đơn vị mã “99999”" in (await keyed.send(f"/fanpage them 99999 {PAGE} {TOKEN}"))[0].text
    assert "chỉ gồm các chữ số" in (await keyed.send(f"/fanpage them 29641 abc {TOKEN}"))[0].text
    linked = await keyed.send(f"/fanpage them 29641 {PAGE} {TOKEN}")
    assert "Đã liên kết Trang 1234567890 với Xã Cái Nhum" in linked[0].text and "xóa tin nhắn" in linked[1].text
    listing = (await keyed.send("/fanpage"))[0].text
    assert "(mã 1234567890) – Xã Cái Nhum: đang hoạt động" in listing
    assert all(TOKEN not in reply.text for reply in [*linked, *keyed.last.replies])
    assert "Đã gỡ liên kết" in (await keyed.send(f"/fanpage xoa {PAGE}"))[0].text
    assert "chưa được liên kết" in (await keyed.send(f"/fanpage xoa {PAGE}"))[0].text


async def test_a_commune_admin_may_not(province, session_factory, clock, dispatcher):
    async with session_factory() as session, session.begin():
        unit = await units.get_unit_by_code(session, "29641")
        person = await people.register(session, platform="telegram", external_id="300", chat_id="300",
                                       full_name="Trần Văn Bình", now=clock())
        await people.grant_role(session, person, unit, "unit_admin", granted_by=None, now=clock())
    replies = await ChatUser(dispatcher, "300").send(f"/fanpage them 29641 {PAGE} {TOKEN}")
    assert replies[0].text.startswith("Lệnh /fanpage dành cho quản trị viên cấp tỉnh.")


async def test_a_page_the_outbox_switched_off_is_never_listed_as_active(admin, session_factory, clock, db_url, capsys):
    """The outbox switches off a chat it cannot reach (`linked_chats.active`): a Page switched off
    so, with no broken token on record, gets no broadcast, so neither /fanpage nor `pages list`
    may call it active."""
    import argparse

    from bot import commands
    from bot.settings import Settings
    from storage.models import LinkedChat

    keyed = ChatUser(build_dispatcher(session_factory, HandlerConfig(page_box=TokenBox(new_key())), clock), "100")
    await keyed.send(f"/fanpage them 29641 {PAGE} {TOKEN}")
    async with session_factory() as session, session.begin():
        chat = await session.scalar(select(LinkedChat).where(LinkedChat.chat_id == PAGE))
        chat.active, chat.removed_at = False, clock()  # as broadcasts.store._mark_gone does

    listing = (await keyed.send("/fanpage"))[0].text
    assert "đang hoạt động" not in listing
    assert "(mã 1234567890) – Xã Cái Nhum: hỏng từ" in listing and "cần liên kết lại" in listing

    assert await commands.pages(Settings(_env_file=None, database_url=db_url), argparse.Namespace(action="list")) == 0
    line = capsys.readouterr().out
    assert "\tbroken since " in line and "\tactive" not in line and TOKEN not in line
