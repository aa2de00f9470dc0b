"""Telegram's errors → our one send-error taxonomy (bot/core/sending.py), like Zalo's.

Through the real sender, a real PTB `Bot` and the Telegram emulator: the emulator answers the
way Telegram does (status, description, parameters) and PTB raises its own exception for it, so
what is pinned is what the outbox will see. A read timeout cannot be produced without waiting on
the wall clock, so TimedOut (and the other PTB classes the emulator has no reason to produce)
is checked against `map_error` with PTB's own exception classes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram import error as tg_error

from bot.channels.telegram.sender import TelegramSender, map_error
from bot.core.messages import CommandMenuEntry, Outgoing
from bot.core.sending import ChatMigrated, RecipientGone, Rejected, SendError, Throttled, Transient
from bot.emulator.telegram import TelegramEmulator

TOKEN = "123456:TEST-sender-token"
USER = 42
ADMIN = 43
GROUP = -4321


@pytest.fixture
async def emu() -> AsyncIterator[TelegramEmulator]:
    emulator = TelegramEmulator(TOKEN)
    emulator.add_user(USER, "Lan")
    emulator.add_user(ADMIN, "An")
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def sender(emu) -> AsyncIterator[TelegramSender]:
    async with Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as bot:
        yield TelegramSender(bot)


async def failure(sender: TelegramSender, chat_id: int | str) -> SendError:
    with pytest.raises(SendError) as raised:
        await sender.send(str(chat_id), Outgoing("Thông báo họp dân"))
    return raised.value


SCRIPTED = [
    ("flood limit", 429, "Too Many Requests: retry after 7", {"retry_after": 7}, Throttled),
    ("blocked", 403, "Forbidden: bot was blocked by the user", None, RecipientGone),
    ("deactivated", 403, "Forbidden: user is deactivated", None, RecipientGone),
    ("kicked", 403, "Forbidden: bot was kicked from the group chat", None, RecipientGone),
    ("chat not found", 400, "Bad Request: chat not found", None, RecipientGone),
    ("migrated", 400, "Bad Request: group chat was upgraded to a supergroup chat",
     {"migrate_to_chat_id": -1004321}, ChatMigrated),
    ("too long", 400, "Bad Request: message is too long", None, Rejected),
    ("bad markup", 400, "Bad Request: can't parse entities: unclosed tag", None, Rejected),
    ("bad gateway", 502, "Bad Gateway", None, Transient),
    ("server error", 500, "Internal Server Error", None, Transient),
    ("token revoked", 401, "Unauthorized", None, Rejected),
]


@pytest.mark.parametrize(("name", "status", "description", "parameters", "expected"), SCRIPTED,
                         ids=[row[0] for row in SCRIPTED])
async def test_every_telegram_answer_has_its_place(emu, sender, name, status, description, parameters, expected):
    emu.fail_next("sendMessage", status, description, parameters=parameters)
    error = await failure(sender, USER)
    assert type(error) is expected
    assert error.retryable is (expected in (Throttled, Transient, ChatMigrated))


async def test_a_flood_limit_says_how_long_to_wait(emu, sender):
    emu.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", parameters={"retry_after": 7})
    error = await failure(sender, USER)
    assert isinstance(error, Throttled) and error.retry_after == 7


async def test_a_lost_connection_is_transient_and_the_next_try_arrives(emu, sender):
    emu.drop_next("sendMessage")
    assert type(await failure(sender, USER)) is Transient
    await sender.send(str(USER), Outgoing("Lần nữa"))
    assert [m["text"] for m in emu.messages(USER)] == ["Lần nữa"]


async def test_the_world_the_emulator_keeps_maps_the_same_way(emu, sender):
    await emu.block_bot(USER)
    assert type(await failure(sender, USER)) is RecipientGone
    assert type(await failure(sender, 999)) is RecipientGone  # nobody: "chat not found"
    emu.add_group(GROUP, "Ấp 3")
    await emu.add_bot_to_chat(ADMIN, GROUP)
    await emu.migrate_group(GROUP, -1004321)
    migrated = await failure(sender, GROUP)
    assert isinstance(migrated, ChatMigrated) and migrated.new_chat_id == "-1004321"
    await sender.send(migrated.new_chat_id, Outgoing("Thông báo họp dân"))
    assert [m["text"] for m in emu.messages(-1004321)][-1] == "Thông báo họp dân"


async def test_menus_fail_the_same_way(emu, sender):
    emu.fail_next("setMyCommands", 400, "Bad Request: chat not found")
    with pytest.raises(RecipientGone):
        await sender.set_commands(str(USER), [CommandMenuEntry("trogiup", "Trợ giúp")])
    emu.fail_next("deleteMyCommands", 429, "Too Many Requests: retry after 3", parameters={"retry_after": 3})
    with pytest.raises(Throttled):
        await sender.set_commands(str(USER), [])  # an empty menu is deleted


PTB_CLASSES = [
    (tg_error.RetryAfter(12), Throttled),
    (tg_error.ChatMigrated(-1009), ChatMigrated),
    (tg_error.Forbidden("Forbidden: bot was blocked by the user"), RecipientGone),
    (tg_error.BadRequest("Bad Request: chat not found"), RecipientGone),
    (tg_error.BadRequest("Bad Request: message text is empty"), Rejected),
    (tg_error.InvalidToken(), Rejected),
    (tg_error.TimedOut(), Transient),
    (tg_error.NetworkError("Bad Gateway"), Transient),
    (tg_error.Conflict("Conflict: terminated by other getUpdates request"), Transient),
    (tg_error.EndPointNotFound("Not Found"), Transient),
    (tg_error.TelegramError("something new"), Transient),
]


@pytest.mark.parametrize(("exc", "expected"), PTB_CLASSES, ids=[type(row[0]).__name__ + ":" + str(row[0])[:20]
                                                                 for row in PTB_CLASSES])
def test_every_ptb_exception_has_its_place(exc, expected):
    error = map_error(exc)
    assert type(error) is expected and error.reason == str(exc)


def test_what_throttled_and_migrated_carry():
    assert map_error(tg_error.RetryAfter(12)).retry_after == 12.0
    assert map_error(tg_error.ChatMigrated(-1009)).new_chat_id == "-1009"
