"""What only Zalo has, end to end: its webhook (secret, JSON only, both shapes, replays), the
durable inbox, long polling, stickers, groups (linked to a unit, receiving broadcasts), images
served for Zalo to fetch, long texts."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.core.messages import Outgoing
from broadcasts import approval as broadcasts
from storage.models import Conversation, Delivery, LinkedChat, ProcessedUpdate, Role
from tests.integration.conftest import ADMIN_ID, ZALO_SECRET, register
from tests.integration.drivers import approve_and_send

pytestmark = pytest.mark.parametrize("platform", ["zalo"])


def _event(user_id: str, text: str, message_id: str = "m-0001") -> dict:
    return {
        "event_name": "message.text.received",
        "message": {"from": {"id": user_id, "display_name": "An", "is_bot": False},
                    "chat": {"id": user_id, "chat_type": "PRIVATE"}, "text": text,
                    "message_id": message_id, "date": 1767225600000},
    }


async def _count(session_factory, model) -> int:
    async with session_factory() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_the_webhook_refuses_wrong_secrets_and_anything_but_json(
    platform, harness, zalo_emulator, start_app, seeded, session_factory
):
    app = await start_app()
    url = app.settings.zalo_webhook_url
    admin_id = harness.id_of(ADMIN_ID)
    wrapped = {"ok": True, "result": _event(admin_id, "/toi")}
    good = {"X-Bot-Api-Secret-Token": ZALO_SECRET}
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"X-Bot-Api-Secret-Token": "wrong-secret"}, {"X-Bot-Api-Secret-Token": ZALO_SECRET + "x"}):
            async with http.post(url, json=wrapped, headers=headers) as response:
                assert response.status == 401
        async with http.post(url, data="chat_id=1&text=hi", headers={
                **good, "Content-Type": "application/x-www-form-urlencoded"}) as response:
            assert response.status == 415
        for body in ("{not json", '["a list"]', '{"ok": true, "result": {"message": {}}}', "\xff"):
            async with http.post(url, data=body.encode("latin-1"), headers={
                    **good, "Content-Type": "application/json"}) as response:
                assert response.status == 400
    await harness.settle()
    assert zalo_emulator.messages(admin_id) == []
    assert await _count(session_factory, ProcessedUpdate) == 0
    assert await app.zalo.inbox.pending() == 0


async def test_wrapped_and_bare_events_are_answered_and_replays_ignored(
    platform, harness, zalo_emulator, start_app, seeded, session_factory
):
    await start_app()
    admin = harness.person(ADMIN_ID)
    assert "Nguyễn Văn An" in (await admin.say("/toi"))[0]["text"]  # wrapped, as documented
    assert await _count(session_factory, ProcessedUpdate) == 1

    await zalo_emulator.replay_last_event()
    await harness.settle()
    assert admin.new_messages() == []
    assert zalo_emulator.webhook_responses[-1] == 200

    zalo_emulator.wrap_webhook_events = False  # bare {event_name, message}, as observed
    assert "/trogiup" in (await admin.say("/trogiup"))[0]["text"]

    await harness.app.stop()
    await start_app()  # a new process no longer remembers the key: the database does
    await zalo_emulator.replay_last_event()
    await harness.settle()
    assert admin.new_messages() == []
    assert await _count(session_factory, ProcessedUpdate) == 2


async def test_an_accepted_event_survives_a_crash_before_it_is_handled(
    platform, harness, zalo_emulator, start_app, seeded
):
    app = await start_app()
    admin = harness.person(ADMIN_ID)
    stuck = asyncio.Event()

    async def hang(incoming):
        await stuck.wait()  # the process dies while the event is being handled

    app.dispatcher.handle = hang
    await zalo_emulator.send_text(admin.user_id, "/toi")
    assert zalo_emulator.webhook_responses[-1] == 200  # Zalo got its answer at once
    assert await app.zalo.inbox.pending() == 1
    await app.stop()

    await start_app()
    await harness.settle()
    assert "Nguyễn Văn An" in admin.new_messages()[0]["text"]
    assert await harness.app.zalo.inbox.pending() == 0


async def test_long_polling_answers_too(platform, harness, zalo_emulator, start_app, seeded):
    await start_app(webhook=False)
    admin_id = harness.id_of(ADMIN_ID)
    await zalo_emulator.send_text(admin_id, "/toi")
    messages = await zalo_emulator.wait_for_messages(admin_id, 1)
    assert "Quản trị viên cấp tỉnh" in messages[0]["text"]


async def test_stickers_and_withheld_content_get_a_helpful_answer(platform, harness, zalo_emulator, start_app, seeded):
    await start_app()
    admin = harness.person(ADMIN_ID)
    assert "chỉ đọc được tin nhắn chữ" in (await admin.send_sticker())[0]["text"]
    await zalo_emulator.send_unsupported(admin.user_id)
    await harness.settle()
    assert "chỉ đọc được tin nhắn chữ" in admin.new_messages()[0]["text"]


async def test_group_commands_point_to_a_private_chat_and_nothing_is_stored(
    platform, harness, zalo_emulator, start_app, seeded, session_factory
):
    app = await start_app()
    group = zalo_emulator.add_group("9a000000000000000001")["id"]
    admin_id = harness.id_of(ADMIN_ID)
    await zalo_emulator.send_text(admin_id, "@Bot Kết Nối họp lúc 8 giờ", chat_id=group)
    await zalo_emulator.send_text(admin_id, "/trogiup", chat_id=group)
    await harness.settle()
    assert [m["text"] for m in zalo_emulator.messages(group)] == ["Bạn vui lòng nhắn riêng cho bot để đăng ký và sử dụng."]
    assert await _count(session_factory, ProcessedUpdate) == 0
    assert await _count(session_factory, Conversation) == 0
    assert await app.zalo.inbox.pending() == 0


async def test_our_images_are_served_for_zalo_to_fetch(platform, harness, zalo_emulator, start_app, seeded):
    await start_app()
    admin = harness.person(ADMIN_ID)
    await admin.say("/moi")
    await admin.choose("Cán bộ")
    created = await admin.say("Cái Nhum")
    url = created[1]["photo"]
    assert url.startswith(f"{harness.app.settings.public_base_url}/media/") and url.endswith(".png")
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert response.status == 200 and response.content_type == "image/png"
            assert (await response.read()).startswith(b"\x89PNG")
        async with http.get(url.replace("/media/", "/media/x")) as response:
            assert response.status == 404


async def test_a_long_message_arrives_as_two_in_order(platform, harness, zalo_emulator, start_app, seeded):
    app = await start_app()
    admin = harness.person(ADMIN_ID)
    first, second = "Đoạn một. " * 150, "Đoạn hai. " * 100  # 1,500 + 1,000 characters
    await app.notify(Outgoing(f"{first.strip()}\n\n{second.strip()}", platform="zalo", chat_id=admin.user_id))
    assert [m["text"] for m in admin.new_messages()] == [first.strip(), second.strip()]


async def test_zalo_alone_is_a_whole_service(platform, harness, emulator, zalo_emulator, start_app, seeded):
    app = await start_app(telegram=False)
    assert app.telegram is None and set(app.channels) == {"zalo"}
    admin = harness.person(ADMIN_ID)
    assert "Quản trị viên cấp tỉnh" in (await admin.say("thông tin của tôi"))[0]["text"]
    assert emulator.calls == []  # Telegram was never asked anything


GROUP_ID, MEMBER = "9a000000000000000002", 5001
CONTENT = "Mời hội viên dự hội nghị học tập Nghị quyết lúc 8 giờ sáng thứ Hai tại hội trường xã."


async def test_a_zalo_group_is_linked_to_a_unit_and_receives_a_broadcast_once(
    platform, harness, zalo_emulator, start_app, seeded, session_factory, clock
):
    """Issue #14.2: the day Zalo lets the bot into groups, a group links like a Telegram group
    (/lienketnhom) and the unit's broadcasts with "groups and channels" reach it, once; what
    people write in the group is neither answered nor stored."""
    app = await start_app(broadcast_limits=False)
    admin = harness.person(ADMIN_ID)
    await register(session_factory, clock, platform="zalo", n=MEMBER, name="Hội viên Năm", unit_code="29641",
                   role=Role.MEMBER)
    member = harness.person(MEMBER, "Hội viên Năm")
    await zalo_emulator.add_bot_to_group(admin.user_id, GROUP_ID, title="Chi hội Cái Nhum")
    await zalo_emulator.send_text(admin.user_id, "@Bot Kết Nối họp lúc 8 giờ", chat_id=GROUP_ID)
    await harness.settle()
    assert zalo_emulator.messages(GROUP_ID) == []  # chatter is not for the bot
    async with session_factory() as session:
        chat = (await session.execute(select(LinkedChat))).scalar_one()
    assert (chat.platform, chat.chat_id, chat.title, chat.active) == ("zalo", GROUP_ID, "Chi hội Cái Nhum", True)

    await admin.say("/lienketnhom")
    await admin.choose("Chi hội Cái Nhum")
    linked = await admin.say("cai nhum")
    assert "Đã liên kết “Chi hội Cái Nhum” với Xã Cái Nhum" in linked[-1]["text"]

    await register(session_factory, clock, platform="zalo", n=1002, name="Lê Thị Hoa", unit_code="86",
                   role=Role.PROVINCE_ADMIN)
    await approve_and_send(
        session_factory, platform="zalo", author=admin.user_id, approver=harness.id_of(1002),
        audience=broadcasts.Audience(units=("86",), roles=(Role.MEMBER,), include_linked_chats=True), text=CONTENT, now=clock(),
    )
    app._wake_outbox()
    assert await zalo_emulator.wait_for(
        lambda: any("đã gửi xong" in (m["text"] or "") for m in zalo_emulator.messages(admin.user_id))
    )
    assert [m["text"] for m in zalo_emulator.messages(GROUP_ID)] == [CONTENT]  # once, and no share option
    assert [m["text"] for m in member.new_messages()] == [CONTENT]
    assert await _count(session_factory, Delivery) == 2

    await zalo_emulator.remove_bot_from_group(admin.user_id, GROUP_ID)
    await harness.settle()
    async with session_factory() as session:
        chat = (await session.execute(select(LinkedChat))).scalar_one()
    assert chat.active is False and chat.unit_id is not None  # the link survives the bot being re-added


async def test_a_command_in_a_zalo_group_records_the_group_for_linking(
    platform, harness, zalo_emulator, start_app, seeded, session_factory
):
    """Zalo names no event for the bot joining a group yet: the first command it hears there
    records the group, so an admin can link it from a private chat."""
    await start_app()
    zalo_emulator.add_group(GROUP_ID)
    admin_id = harness.id_of(ADMIN_ID)
    await zalo_emulator.send_text(admin_id, "/lienketnhom", chat_id=GROUP_ID)
    await harness.settle()
    assert "liên kết nhóm với đơn vị" in zalo_emulator.texts(GROUP_ID)[0]
    async with session_factory() as session:
        chat = (await session.execute(select(LinkedChat))).scalar_one()
    assert (chat.platform, chat.chat_id, chat.kind, chat.active) == ("zalo", GROUP_ID, "group", True)
    offered = await harness.person(ADMIN_ID).say("/lienketnhom")
    assert offered[-1]["options"] == [f"Nhóm {GROUP_ID}"]
