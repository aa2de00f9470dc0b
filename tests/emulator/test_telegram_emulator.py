"""The Telegram emulator, driven by the real python-telegram-bot over HTTP.

These tests pin the wire behaviour our bot relies on: envelopes, error strings and the PTB exceptions
they map to, update delivery by long polling and by webhook, rate limits and the demo's control API.
No test sleeps on wall time: waiting is always on the emulator's condition (wait_for_messages/wait_for).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, ChatMigrated, Conflict, Forbidden, InvalidToken, RetryAfter
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.emulator.telegram import TINY_PNG, TelegramEmulator

TOKEN = "123456:TEST-emulator-token"
USER = 42


@pytest.fixture
async def emu() -> AsyncIterator[TelegramEmulator]:
    emulator = TelegramEmulator(TOKEN)
    emulator.add_user(USER, "An", last_name="Nguyễn", username="an_nguyen")
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def bot(emu: TelegramEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as tg_bot:
        yield tg_bot


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data)] for text, data in pairs])


# ---------------------------------------------------------------------- wire format


async def test_get_me_returns_the_bot_with_username(bot: Bot) -> None:
    assert bot.username == "ketnoi_demo_bot"
    assert bot.id == 7000000001
    assert bot.can_join_groups is True


async def test_bad_token_is_rejected(emu: TelegramEmulator) -> None:
    wrong = Bot("999:WRONG", base_url=emu.base_url)
    with pytest.raises(InvalidToken):
        await wrong.initialize()
    await wrong.shutdown()


async def test_raw_wire_format(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    api = f"{emu.base_url}{TOKEN}"
    async with http.get(f"{api}/noSuchMethod") as resp:
        assert resp.status == 404
        assert await resp.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method not found",
        }
    async with http.get(f"{emu.base_url}1:bad/getMe") as resp:
        assert resp.status == 401
        assert (await resp.json())["description"] == "Unauthorized: invalid token specified"
    # GET with a query string, method name in any case.
    async with http.get(f"{api}/SENDMESSAGE", params={"chat_id": str(USER), "text": "42"}) as resp:
        body = await resp.json()
        assert resp.status == 200 and body["ok"] is True
        assert body["result"]["text"] == "42"  # text is never JSON-decoded
        assert body["result"]["from"]["is_bot"] is True
    # A JSON body.
    async with http.post(f"{api}/sendMessage", json={"chat_id": USER, "text": ""}) as resp:
        assert resp.status == 400
        assert (await resp.json())["description"] == "Bad Request: message text is empty"
    assert [name for name, _ in emu.calls] == ["sendMessage", "sendMessage"]
    assert emu.calls[0][1] == {"chat_id": USER, "text": "42"}


# ---------------------------------------------------------------------- sending


async def test_send_message_with_inline_keyboard_is_transcribed(emu: TelegramEmulator, bot: Bot) -> None:
    sent = await bot.send_message(
        USER,
        "<b>Chào</b> bạn\nChọn:",
        parse_mode="HTML",
        reply_markup=keyboard(("Có", "vote:yes"), ("Không", "vote:no")),
    )
    assert sent.text == "Chào bạn\nChọn:"
    assert sent.from_user.id == bot.id
    entry = emu.last_message(USER)
    assert entry["message_id"] == sent.message_id
    assert entry["text"] == "Chào bạn\nChọn:"
    assert entry["buttons"] == [[{"text": "Có", "data": "vote:yes"}], [{"text": "Không", "data": "vote:no"}]]
    assert entry["from_bot"] is True and entry["edited"] is False
    assert emu.calls[-1][1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "vote:yes"


async def test_send_photo_and_document_round_trip(
    emu: TelegramEmulator, bot: Bot, http: aiohttp.ClientSession
) -> None:
    photo_message = await bot.send_photo(USER, photo=TINY_PNG, caption="Ảnh")
    file_id = photo_message.photo[-1].file_id
    assert (photo_message.photo[-1].width, photo_message.photo[-1].height) == (1, 1)
    assert emu.file_bytes(file_id) == TINY_PNG
    assert emu.last_message(USER)["photo"] == file_id
    assert emu.last_message(USER)["caption"] == "Ảnh"
    # The same file_id can be sent again without uploading.
    again = await bot.send_photo(USER, photo=file_id)
    assert again.photo[-1].file_id == file_id

    doc_message = await bot.send_document(USER, document=b"a;b\n1;2\n", filename="bao-cao.csv")
    document = emu.last_message(USER)["document"]
    assert document == {"file_id": doc_message.document.file_id, "file_name": "bao-cao.csv"}
    assert emu.file_bytes(document["file_id"]) == b"a;b\n1;2\n"

    async with http.get(f"{emu.root_url}/_emu/files/{file_id}") as resp:
        assert resp.content_type == "image/png"
        assert await resp.read() == TINY_PNG
    async with http.get(f"{emu.root_url}/_emu/files/{document['file_id']}") as resp:
        assert resp.content_type == "application/octet-stream"
        assert "attachment" in resp.headers["Content-Disposition"]
    # PTB's own download path: getFile + base_file_url.
    tg_file = await bot.get_file(file_id)
    assert bytes(await tg_file.download_as_bytearray()) == TINY_PNG


async def test_edit_copy_commands_and_get_chat(emu: TelegramEmulator, bot: Bot) -> None:
    sent = await bot.send_message(USER, "Bước 1", reply_markup=keyboard(("Tiếp", "next")))
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text(
            "Bước 1", chat_id=USER, message_id=sent.message_id, reply_markup=keyboard(("Tiếp", "next"))
        )
    edited = await bot.edit_message_text("Bước 2", chat_id=USER, message_id=sent.message_id)
    assert edited.text == "Bước 2"
    entry = emu.last_message(USER)
    assert entry["edited"] is True and entry["buttons"] == []  # no reply_markup = keyboard removed

    copied = await bot.copy_message(USER, from_chat_id=USER, message_id=sent.message_id)
    assert emu.last_message(USER)["message_id"] == copied.message_id
    assert emu.last_message(USER)["text"] == "Bước 2"

    await bot.set_my_commands([BotCommand("start", "Bắt đầu")])
    await bot.set_my_commands([BotCommand("baocao", "Báo cáo")], scope=BotCommandScopeChat(USER))
    assert emu.commands_for() == [{"command": "start", "description": "Bắt đầu"}]
    assert emu.commands_for({"type": "chat", "chat_id": USER}) == [
        {"command": "baocao", "description": "Báo cáo"}
    ]
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeChat(USER))] == ["baocao"]

    chat = await bot.get_chat(USER)
    assert chat.type == "private" and chat.username == "an_nguyen"
    assert await bot.send_chat_action(USER, "typing") is True


async def test_delete_message_follows_telegrams_rules_and_leaves_the_transcript(
    emu: TelegramEmulator, bot: Bot, http: aiohttp.ClientSession
) -> None:
    """A private chat: the person's message too (a secret they sent); a group: the bot's own only,
    unless it is an administrator. A deleted message is gone from the transcript and the demo page."""
    written = (await emu.send_text(USER, "/fanpage them 29641 1234 EAAGsecret"))["message"]
    answer = await bot.send_message(USER, "Đã liên kết")
    assert await bot.delete_message(USER, written["message_id"]) is True
    assert [m["text"] for m in emu.messages(USER, from_bot=None)] == ["Đã liên kết"]
    assert emu.deleted == [(USER, written["message_id"])]
    with pytest.raises(BadRequest, match=r"[Mm]essage to delete not found"):
        await bot.delete_message(USER, written["message_id"])
    async with http.get(f"{emu.root_url}/_emu/chats/{USER}/messages") as resp:
        shown = await resp.json()
    assert shown["deleted"] == [written["message_id"]]
    assert [m["message_id"] for m in shown["messages"]] == [answer.message_id]

    emu.add_group(-4003, "Chi hội ấp 3")
    await emu.add_bot_to_chat(USER, -4003)
    said = (await emu.send_text(USER, "Xin chào", chat_id=-4003))["message"]
    with pytest.raises(BadRequest, match=r"[Mm]essage can't be deleted"):
        await bot.delete_message(-4003, said["message_id"])
    own = await bot.send_message(-4003, "Chào cả nhóm")
    assert await bot.delete_message(-4003, own.message_id) is True
    assert [m["text"] for m in emu.messages(-4003, from_bot=None)] == ["Xin chào"]


async def test_the_control_api_shows_a_chats_menu_as_a_client_would(
    emu: TelegramEmulator, bot: Bot, http: aiohttp.ClientSession
) -> None:
    """The demo page's "Menu": the chat's own commands, else all private chats', else the default."""
    emu.add_user(43, "Bình")

    async def shown(chat_id: int) -> list[str]:
        async with http.get(f"{emu.root_url}/_emu/chats/{chat_id}/commands") as response:
            return [c["command"] for c in await response.json()]

    assert await shown(USER) == []
    await bot.set_my_commands([BotCommand("start", "Bắt đầu")])
    assert await shown(USER) == ["start"]
    await bot.set_my_commands([BotCommand("trogiup", "Trợ giúp")], scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands([BotCommand("baocao", "Báo cáo")], scope=BotCommandScopeChat(USER))
    assert await shown(USER) == ["baocao"]
    assert await shown(43) == ["trogiup"]
    await bot.delete_my_commands(scope=BotCommandScopeChat(USER))
    assert await shown(USER) == ["trogiup"]


# ---------------------------------------------------------------------- errors


async def test_errors_map_to_ptb_exceptions(emu: TelegramEmulator, bot: Bot) -> None:
    emu.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", parameters={"retry_after": 7})
    with pytest.raises(RetryAfter) as retry:
        await bot.send_message(USER, "x")
    assert retry.value.retry_after == 7

    emu.fail_next("sendmessage", 403, "Forbidden: user is deactivated", chat_id=USER)
    with pytest.raises(Forbidden, match="user is deactivated"):
        await bot.send_message(USER, "x")
    await bot.send_message(USER, "fault consumed")

    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(777, "x")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "a" * 4097)
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(USER, "<b>unclosed", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "br"'):
        await bot.send_message(USER, "a<br>b", parse_mode="HTML")


async def test_blocked_user_and_kicked_bot_are_forbidden(emu: TelegramEmulator, bot: Bot) -> None:
    update = await emu.block_bot(USER)
    parsed = Update.de_json(update, bot)
    assert parsed.my_chat_member.new_chat_member.status == "kicked"
    with pytest.raises(Forbidden, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(USER, "x")
    await emu.unblock_bot(USER)
    await bot.send_message(USER, "welcome back")

    emu.add_group(-4001, "Chi hội phường 1")
    with pytest.raises(Forbidden, match="bot is not a member of the group chat"):
        await bot.send_message(-4001, "x")
    await emu.add_bot_to_chat(USER, -4001)
    await bot.send_message(-4001, "Xin chào nhóm")
    await emu.remove_bot_from_chat(USER, -4001)
    with pytest.raises(Forbidden, match="Forbidden: bot was kicked from the group chat"):
        await bot.send_message(-4001, "x")


async def test_migrated_group_raises_chat_migrated(emu: TelegramEmulator, bot: Bot) -> None:
    emu.add_group(-4002, "Nhóm cũ")
    await emu.add_bot_to_chat(USER, -4002)
    update = await emu.migrate_group(-4002, -1001234567890)
    assert update["message"]["migrate_to_chat_id"] == -1001234567890
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(-4002, "x")
    assert migrated.value.new_chat_id == -1001234567890
    await bot.send_message(-1001234567890, "ok in the supergroup")


# ---------------------------------------------------------------------- delivery: polling


async def test_application_polling_command_and_button(emu: TelegramEmulator) -> None:
    seen_args: list[list[str]] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen_args.append(list(context.args or []))
        await update.effective_message.reply_text("Chào mừng!", reply_markup=keyboard(("Đồng ý", "ok")))

    async def pressed(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("Đã ghi nhận")
        await update.callback_query.edit_message_text(f"Bạn chọn: {update.callback_query.data}")

    app = ApplicationBuilder().token(TOKEN).base_url(emu.base_url).base_file_url(emu.base_file_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    await app.initialize()
    try:
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()

        await emu.send_text(USER, "/start abc")
        [welcome] = await emu.wait_for_messages(USER, 1)
        assert seen_args == [["abc"]]
        assert welcome["text"] == "Chào mừng!"

        await emu.press_button(USER, welcome["message_id"], "ok")
        assert await emu.wait_for(lambda: emu.last_message(USER)["edited"])
        assert emu.last_message(USER)["text"] == "Bạn chọn: ok"
        assert emu.callback_answers[0]["text"] == "Đã ghi nhận"
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def test_get_updates_offsets_replay_and_webhook_conflict(emu: TelegramEmulator, bot: Bot) -> None:
    first = await emu.send_text(USER, "một")
    second = await emu.send_text(USER, "hai")
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [first["update_id"], second["update_id"]]
    assert updates[0].message.text == "một"
    assert await bot.get_updates(offset=second["update_id"] + 1, timeout=0) == ()

    await emu.replay_last_update()  # Telegram re-sending an update the bot already had
    replayed = await bot.get_updates(offset=second["update_id"] + 1, timeout=0)
    assert [u.update_id for u in replayed] == [second["update_id"]]

    await bot.set_webhook("http://127.0.0.1:9/hook")
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates(timeout=0)


# ---------------------------------------------------------------------- delivery: webhook


async def test_webhook_delivery_is_awaited_and_carries_the_secret(emu: TelegramEmulator, bot: Bot) -> None:
    received: list[tuple[str, str | None, dict]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (
                request.headers["Content-Type"],
                request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                await request.json(),
            )
        )
        return web.Response(text="ok")

    receiver = web.Application()
    receiver.router.add_post("/hook", hook)
    runner = web.AppRunner(receiver)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
        with pytest.raises(BadRequest):
            await bot.set_webhook(url, secret_token="bad secret!")
        assert await bot.set_webhook(url, secret_token="s3cr3t_-X")
        assert (await bot.get_webhook_info()).url == url

        update = await emu.send_text(USER, "/start")
        assert received == [("application/json", "s3cr3t_-X", update)]
        assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        assert emu.webhook_responses == [200]
    finally:
        await runner.cleanup()


async def test_mounted_emulator_delivers_to_its_own_server_without_deadlock(
    http: aiohttp.ClientSession,
) -> None:
    """The demo: emulator at /tg and the bot's webhook on the same aiohttp server and event loop."""
    emu = TelegramEmulator(TOKEN)
    emu.add_user(USER, "An")
    bots: list[Bot] = []

    async def hook(request: web.Request) -> web.Response:
        update = Update.de_json(await request.json(), bots[0])
        await bots[0].send_message(update.effective_chat.id, f"Bạn nói: {update.effective_message.text}")
        return web.Response()

    root = web.Application()
    root.router.add_post("/hook", hook)
    root.add_subapp("/tg", emu.make_app())
    runner = web.AppRunner(root)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    server = f"http://127.0.0.1:{runner.addresses[0][1]}"
    emu.set_root(f"{server}/tg")
    try:
        async with Bot(TOKEN, base_url=emu.base_url) as tg_bot:
            bots.append(tg_bot)
            await tg_bot.set_webhook(f"{server}/hook")
            async with http.post(f"{server}/tg/_emu/users/{USER}/send", json={"text": "xin chào"}) as resp:
                assert resp.status == 200 and (await resp.json()) == {"ok": True}
            # The control call returned only after the bot had answered through the same server.
            assert emu.last_message(USER)["text"] == "Bạn nói: xin chào"
            assert emu.webhook_responses == [200]
    finally:
        await runner.cleanup()


# ---------------------------------------------------------------------- limits


async def test_enforced_limits_use_the_injected_clock() -> None:
    now = [1000.0]
    emu = TelegramEmulator(TOKEN, enforce_limits=True, clock=lambda: now[0])
    emu.add_user(USER, "An")
    emu.add_user(43, "Bình")
    async with emu, Bot(TOKEN, base_url=emu.base_url) as tg_bot:
        await tg_bot.send_message(USER, "1")
        await tg_bot.send_message(43, "other chat is fine")
        with pytest.raises(RetryAfter) as throttled:
            await tg_bot.send_message(USER, "2")
        assert throttled.value.retry_after == 1
        assert emu.throttled_count == 1
        now[0] += 1.0
        await tg_bot.send_message(USER, "2")
        assert [m["text"] for m in emu.messages(USER)] == ["1", "2"]


# ---------------------------------------------------------------------- control API


async def test_control_api_for_the_demo_page(
    emu: TelegramEmulator, bot: Bot, http: aiohttp.ClientSession
) -> None:
    ctl = f"{emu.root_url}/_emu"
    async with http.post(f"{ctl}/users", json={"id": 9002, "first_name": "Trần Thị Bình"}) as resp:
        assert (await resp.json())["first_name"] == "Trần Thị Bình"
    async with http.get(f"{ctl}/users") as resp:
        assert [u["id"] for u in await resp.json()] == [USER, 9002]

    async with http.post(f"{ctl}/users/9002/send", json={"text": "Xin chào"}) as resp:
        assert await resp.json() == {"ok": True}
    async with http.get(f"{ctl}/chats/9002/messages", params={"after": "0"}) as resp:
        body = await resp.json()
    [hello] = body["messages"]
    assert hello["from_bot"] is False and hello["text"] == "Xin chào"

    await bot.send_message(9002, "Chào chị", reply_markup=keyboard(("Xem", "view")))
    async with http.get(
        f"{ctl}/chats/9002/messages", params={"after": str(hello["message_id"]), "wait": "20"}
    ) as resp:
        body = await resp.json()
    [answer] = body["messages"]
    assert answer["text"] == "Chào chị" and answer["buttons"] == [[{"text": "Xem", "data": "view"}]]

    async with http.post(
        f"{ctl}/users/9002/press", json={"message_id": answer["message_id"], "data": "view"}
    ) as resp:
        assert await resp.json() == {"ok": True}
    async with http.post(
        f"{ctl}/users/9002/press", json={"message_id": answer["message_id"], "data": "nope"}
    ) as resp:
        assert resp.status == 400
    [update] = await bot.get_updates(offset=-1, timeout=0)
    assert update.callback_query.data == "view"
    assert update.callback_query.message.message_id == answer["message_id"]

    # Edits come back through the revision cursor.
    await bot.edit_message_text("Đã xem", chat_id=9002, message_id=answer["message_id"])
    async with http.get(
        f"{ctl}/chats/9002/messages",
        params={"after": str(answer["message_id"]), "since": str(body["rev"]), "wait": "20"},
    ) as resp:
        [edited] = (await resp.json())["messages"]
    assert edited["message_id"] == answer["message_id"] and edited["edited"] is True


async def test_control_long_poll_wakes_on_new_message(
    emu: TelegramEmulator, bot: Bot, http: aiohttp.ClientSession
) -> None:
    url = f"{emu.root_url}/_emu/chats/{USER}/messages"

    async def poll() -> dict:
        async with http.get(url, params={"after": "0", "wait": "20"}) as resp:
            return json.loads(await resp.text())

    waiting = asyncio.create_task(poll())
    await bot.send_message(USER, "tin mới")
    body = await waiting
    assert [m["text"] for m in body["messages"]] == ["tin mới"]
