"""The Zalo channel's webhook and workers, with a recording dispatcher: what reaches the
dispatcher, when, and what never does."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web

from bot.channels.zalo.channel import SECRET_HEADER, ZaloChannel
from bot.channels.zalo.client import ZaloClient
from bot.channels.zalo.inbox import SharedInbox
from bot.channels.zalo.offers import SharedOffers
from bot.core.channel import Deliver
from bot.core.messages import Choice, Incoming, Outgoing, Response
from bot.core.meter import NoMeter
from bot.emulator.zalo import ZaloEmulator
from storage.db import make_engine, make_session_factory

TOKEN = "1234567:zalo-webhook-test"
SECRET = "a-secret-of-some-length"
USER = "6ede9afa66b88fe6d6a9"


@dataclass
class RecordingDispatcher:
    """Answers every event with one reply, offering two options the first time."""

    seen: list[Incoming] = field(default_factory=list)

    async def handle(self, incoming: Incoming, deliver: Deliver) -> None:
        """The channel's `Handle`: what the root's `converse` does, without notices."""
        self.seen.append(incoming)
        choices = (Choice("yes", "Đồng ý"), Choice("no", "Không đồng ý")) if len(self.seen) == 1 else ()
        await deliver(incoming.chat_id, Response([Outgoing(f"Đã nhận {len(self.seen)}", choices=choices)]))


def text_event(text: str, message_id: str) -> dict:
    return {"event_name": "message.text.received",
            "message": {"from": {"id": USER, "display_name": "Ted", "is_bot": False},
                        "chat": {"id": USER, "chat_type": "PRIVATE"}, "text": text,
                        "message_id": message_id, "date": 1750316131602}}


@pytest.fixture
async def emu() -> AsyncIterator[ZaloEmulator]:
    async with ZaloEmulator(TOKEN) as emulator:
        emulator.add_user(USER, "Ted")
        yield emulator


def webhook_channel(emu, sessions, dispatcher: RecordingDispatcher, **options) -> ZaloChannel:
    return ZaloChannel(client=ZaloClient(TOKEN, emu.base_url), handle=dispatcher.handle,
                       inbox=SharedInbox(sessions), offers=SharedOffers(sessions),
                       webhook_url="https://ketnoi.example.vn/zalo/webhook", webhook_secret=SECRET, **options)


@asynccontextmanager
async def webhook_route(channel: ZaloChannel) -> AsyncIterator[str]:
    """The channel's webhook served on a free local port; yields its URL."""
    app = web.Application()
    app.router.add_post("/zalo/webhook", channel.handle_webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/zalo/webhook"
    finally:
        await runner.cleanup()


@pytest.fixture
async def served(emu, session_factory):
    """A started channel in webhook mode, its route served; yields (channel, dispatcher, url)."""
    dispatcher = RecordingDispatcher()
    channel = webhook_channel(emu, session_factory, dispatcher)
    async with webhook_route(channel) as url:
        await channel.start()
        try:
            yield channel, dispatcher, url
        finally:
            await channel.stop()


async def post(url: str, body: bytes | str, *, secret: str | None = SECRET,
               content_type: str = "application/json") -> int:
    headers = {"Content-Type": content_type}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    async with aiohttp.ClientSession() as http, http.post(url, data=body, headers=headers) as response:
        return response.status


async def test_start_registers_the_webhook_with_the_secret(served, emu):
    channel, _, _ = served
    assert emu._webhook["url"] == "https://ketnoi.example.vn/zalo/webhook" and emu._webhook["secret_token"] == SECRET
    assert channel.account_name == "bot.KetNoi"


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET[:-1], SECRET + "x"])
async def test_a_wrong_secret_is_refused_and_nothing_is_kept(served, secret):
    channel, dispatcher, url = served
    assert await post(url, json.dumps(text_event("/toi", "m1")), secret=secret) == 401
    await channel.drain()
    assert dispatcher.seen == [] and await channel.inbox.pending() == 0


def nested(depth: int) -> dict:
    """A well-formed event that carries an absurdly nested value."""
    return {**text_event("Xin chào", "m-deep"), "extra": json.loads("[" * depth + "]" * depth)}


def with_message(**fields) -> dict:
    event = text_event("Xin chào", "m-bad")
    return {**event, "message": {**event["message"], **fields}}


@pytest.mark.parametrize(("body", "content_type", "status"), [
    ("chat_id=1&text=hi", "application/x-www-form-urlencoded", 415),
    ("<xml/>", "text/xml", 415),
    ("{broken", "application/json", 400),
    (b"\xff\xfe", "application/json", 400),
    ("[1, 2]", "application/json", 400),
    ("[]", "application/json", 400),
    ('"x"', "application/json", 400),
    ("null", "application/json", 400),
    ("5", "application/json", 400),
    ('{"ok": true}', "application/json", 400),
    ("[" * 10_000 + "]" * 10_000, "application/json", 400),
    ('{"a":' * 10_000 + "1" + "}" * 10_000, "application/json", 400),
    (json.dumps({"ok": True, "result": nested(500)}), "application/json", 400),
    (json.dumps(with_message(chat=5)), "application/json", 400),
    (json.dumps(with_message(**{"from": "Ted"})), "application/json", 400),
    (json.dumps(with_message(message_id={"id": 1})), "application/json", 400),
], ids=lambda v: repr(v)[:24] if isinstance(v, str | bytes) else None)
async def test_anything_but_a_json_event_is_refused(served, body, content_type, status, caplog):
    channel, dispatcher, url = served
    assert await post(url, body, content_type=content_type) == status
    await channel.drain()
    assert dispatcher.seen == [] and await channel.inbox.pending() == 0
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_an_event_without_a_name_is_handled_by_its_content(served):
    channel, dispatcher, url = served
    unnamed = text_event("Xin chào", "m7")
    del unnamed["event_name"]
    assert await post(url, json.dumps({"ok": True, "result": unnamed})) == 200
    await channel.drain()
    assert [(i.text, i.update_id) for i in dispatcher.seen] == [("Xin chào", "message.text.received:m7")]


async def test_both_shapes_are_handled_once_and_replays_ignored(served, emu):
    channel, dispatcher, url = served
    first, second = text_event("/toi", "m1"), text_event("Xin chào", "m2")
    assert await post(url, json.dumps({"ok": True, "result": first})) == 200
    assert await post(url, json.dumps(second)) == 200
    assert await post(url, json.dumps(second)) == 200  # a replay: answered, ignored
    assert await post(url, json.dumps({"ok": True, "result": first})) == 200
    await channel.drain()
    assert [(i.command, i.text) for i in dispatcher.seen] == [("toi", None), (None, "Xin chào")]
    assert [i.update_id for i in dispatcher.seen] == ["message.text.received:m1", "message.text.received:m2"]
    assert await channel.inbox.pending() == 0 and emu.texts(USER)[0].endswith("Gõ số để chọn.")


async def test_a_typed_number_or_label_arrives_as_the_chosen_option(served):
    channel, dispatcher, url = served
    for number, text in enumerate(["/start", "2", "Đồng ý"], 1):
        await post(url, json.dumps(text_event(text, f"m{number}")))
        await channel.drain()
    assert (dispatcher.seen[1].choice, dispatcher.seen[1].text) == ("no", None)
    assert (dispatcher.seen[2].choice, dispatcher.seen[2].text) == (None, "Đồng ý")  # options were gone by then


async def test_events_left_in_the_inbox_are_handled_at_the_next_start(emu, session_factory):
    dispatcher = RecordingDispatcher()
    died = SharedInbox(session_factory, clock=lambda: datetime.now(UTC) - timedelta(minutes=5))
    await died.put(text_event("/toi", "m9"))  # accepted by a process that then died (its lease ran out)
    channel = ZaloChannel(client=ZaloClient(TOKEN, emu.base_url), handle=dispatcher.handle,
                          inbox=SharedInbox(session_factory), offers=SharedOffers(session_factory))
    await channel.start()
    try:
        await channel.drain()
        assert [i.command for i in dispatcher.seen] == ["toi"] and await channel.inbox.pending() == 0
    finally:
        await channel.stop()


class CountingMeter(NoMeter):
    def __init__(self) -> None:
        self.database_errors: list[str] = []

    def database_error(self, where: str) -> None:
        self.database_errors.append(where)


async def test_an_event_the_inbox_cannot_keep_is_not_acknowledged_and_is_counted(emu, tmp_path):
    """The database is away: Zalo gets no 200 (so it is not told the event arrived) and the
    operator sees it in ketnoi_database_errors_total{where="zalo_inbox"}."""
    (tmp_path / "gone.db").mkdir()  # a folder where the database file should be: SQLite cannot open it
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'gone.db'}")
    sessions = make_session_factory(engine)
    dispatcher, meter = RecordingDispatcher(), CountingMeter()
    try:
        async with webhook_route(webhook_channel(emu, sessions, dispatcher, meter=meter)) as url:
            assert await post(url, json.dumps(text_event("/toi", "m1"))) == 500
        assert meter.database_errors == ["zalo_inbox"] and dispatcher.seen == []
    finally:
        await engine.dispose()
