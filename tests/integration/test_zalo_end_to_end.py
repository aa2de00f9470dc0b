"""What only Zalo has, end to end: its webhook (secret, JSON only, both shapes, replays), the
durable inbox, long polling, stickers, groups, images served for Zalo to fetch, long texts."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.core.messages import Outgoing
from storage.models import Conversation, ProcessedUpdate
from tests.integration.conftest import ADMIN_ID, ZALO_SECRET

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
