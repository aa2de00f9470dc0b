"""KetNoi end to end on Telegram: python-telegram-bot over HTTP against the emulator."""

from __future__ import annotations

import logging
import re

import aiohttp
from sqlalchemy import func, select

from storage.models import Conversation, Person, ProcessedUpdate
from tests.integration.conftest import ADMIN_ID, SECRET, TOKEN, TelegramUser

CODE = re.compile(r"^([A-Z2-9]{10})$", re.MULTILINE)
NEWCOMER = 2002


async def create_invite_in_chat(admin: TelegramUser) -> str:
    await admin.say("/moi")
    await admin.press("Cán bộ")
    messages = await admin.say("Cái Nhum")
    match = CODE.search(messages[0]["text"])
    assert match, messages
    assert messages[1]["photo"] is not None  # the QR code to print
    return match.group(1)


async def test_invite_join_restart_mid_flow_and_continue(emulator, start_app, seeded, session_factory, caplog):
    caplog.set_level(logging.DEBUG)
    app = await start_app()
    admin = TelegramUser(emulator, ADMIN_ID)
    code = await create_invite_in_chat(admin)
    link = f"https://t.me/ketnoi_test_bot?start={code}"
    assert link in emulator.messages(ADMIN_ID)[-2]["text"]

    emulator.add_user(NEWCOMER, "Lan", last_name="Trần Thị")
    newcomer = TelegramUser(emulator, NEWCOMER)
    consent = await newcomer.say(f"/start {code}")
    assert "Nghị định 13/2023" in consent[0]["text"]
    assert [b["text"] for row in consent[0]["buttons"] for b in row] == ["Đồng ý", "Không đồng ý"]
    asked = await newcomer.press("Đồng ý")
    assert "họ và tên" in asked[-1]["text"]
    assert emulator.messages(NEWCOMER)[0]["buttons"] == []  # pressed buttons are taken away

    await app.stop()  # the service goes down in the middle of the flow ...
    await start_app()  # ... and comes back

    welcome = await newcomer.say("Trần Thị Lan")
    assert "Bạn là cán bộ của Xã Cái Nhum" in welcome[0]["text"]
    help_text = newcomer.text(await newcomer.say("/help"))
    assert "/toi" in help_text and "/moi" not in help_text
    menu = {c["command"] for c in emulator.commands_for({"type": "chat", "chat_id": NEWCOMER})}
    assert menu == {"batdau", "trogiup", "phananh", "baocao", "ghinhan", "khancap", "hannop", "toi", "xoadulieu", "quaylai", "huy"}
    admin_menu = {c["command"] for c in emulator.commands_for(None)}
    assert "moi" not in admin_menu and "batdau" in admin_menu  # the default menu is a stranger's

    async with session_factory() as session:
        person = (await session.execute(select(Person).where(Person.full_name == "Trần Thị Lan"))).scalar_one()
        assert person.consent_at is not None
    assert TOKEN not in caplog.text
    assert SECRET not in caplog.text
    assert "/bot«redacted»/sendMessage" in caplog.text  # the URLs were logged, without the token


async def test_webhook_refuses_a_wrong_secret_and_ignores_replays(emulator, start_app, seeded, session_factory):
    app = await start_app()
    url = app.settings.telegram_webhook_url
    update = {"update_id": 1, "message": {"message_id": 1, "date": 1767225600,
              "chat": {"id": ADMIN_ID, "type": "private"}, "from": {"id": ADMIN_ID, "is_bot": False,
              "first_name": "An"}, "text": "/help", "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 403
    assert emulator.messages(ADMIN_ID) == []

    admin = TelegramUser(emulator, ADMIN_ID)
    first = await admin.say("/toi")
    assert "Nguyễn Văn An" in first[0]["text"]
    await emulator.replay_last_update()
    assert admin.new_messages() == []  # the same update id again does nothing
    assert emulator.webhook_responses[-1] == 200


async def test_group_messages_are_not_stored_and_commands_point_to_private_chat(
    emulator, start_app, seeded, session_factory
):
    await start_app()
    emulator.add_group(-4001, "Chi hội Cái Nhum")
    await emulator.add_bot_to_chat(ADMIN_ID, -4001)
    await emulator.send_text(ADMIN_ID, "Chào cả nhà, họp lúc 8 giờ", chat_id=-4001)
    assert emulator.messages(-4001) == []
    await emulator.send_text(ADMIN_ID, "/help@ketnoi_test_bot", chat_id=-4001)
    assert "nhắn riêng" in emulator.messages(-4001)[-1]["text"]
    async with session_factory() as session:
        stored = (await session.execute(select(func.count()).select_from(ProcessedUpdate))).scalar_one()
        conversations = (await session.execute(select(func.count()).select_from(Conversation))).scalar_one()
    assert (stored, conversations) == (0, 0)


async def test_blocking_the_bot_marks_the_person_unreachable(emulator, start_app, seeded, session_factory):
    from storage.models import Identity

    await start_app()
    await emulator.block_bot(ADMIN_ID)
    async with session_factory() as session:
        identity = (await session.execute(select(Identity))).scalar_one()
    assert identity.unreachable_at is not None


async def test_polling_mode_answers_too(emulator, start_app, seeded):
    await start_app(webhook=False)
    await emulator.send_text(ADMIN_ID, "/toi")
    messages = await emulator.wait_for_messages(ADMIN_ID, 1)
    assert "Quản trị viên cấp tỉnh" in messages[0]["text"]


async def test_a_crash_in_a_handler_keeps_the_step_and_apologises(
    emulator, start_app, seeded, session_factory, monkeypatch
):
    from bot.services import invites

    await start_app()
    admin = TelegramUser(emulator, ADMIN_ID)
    await admin.say("/moi")
    await admin.press("Cán bộ")

    def broken(*args, **kwargs):
        raise RuntimeError("database on fire: token 424242:TEST-token")

    monkeypatch.setattr(invites, "grantable_roles", broken)
    reply = await admin.say("Cái Nhum")
    assert "Xin lỗi, hệ thống gặp trục trặc" in reply[0]["text"]
    assert "database on fire" not in reply[0]["text"]
    assert "đơn vị nào" in reply[0]["text"]  # still on the unit step
    monkeypatch.undo()
    reply = await admin.say("Cái Nhum")
    assert CODE.search(reply[0]["text"])
