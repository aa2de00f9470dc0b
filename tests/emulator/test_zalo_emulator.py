"""The Zalo emulator speaks Zalo's wire format (facts file, section 5), checked over raw HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.emulator.zalo import MAX_TEXT, TINY_PNG, EmulatorError, ZaloEmulator

TOKEN = "1459232241454765289:emulator-test"


@pytest.fixture
async def emu() -> AsyncIterator[ZaloEmulator]:
    async with ZaloEmulator(TOKEN) as emulator:
        emulator.add_user("6ede9afa66b88fe6d6a9", "Ted")
        yield emulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(http, emu, method: str, *, how: str = "json", token: str = TOKEN, **params):
    url = f"{emu.root_url}/bot{token}/{method}"
    if how == "json":
        request = http.post(url, json=params)
    elif how == "form":
        request = http.post(url, data=params)
    else:
        request = http.get(url, params=params)
    async with request as response:
        return response.status, await response.json()


async def test_the_envelope_and_parameters_in_every_encoding(emu, http):
    status, me = await call(http, emu, "getMe", how="get")
    assert status == 200 and me == {"ok": True, "result": {
        "id": "1459232241454765289", "account_name": "bot.KetNoi", "account_type": "BASIC", "can_join_groups": False}}
    for how in ("json", "form", "get"):
        status, sent = await call(http, emu, "sendMessage", how=how, chat_id="6ede9afa66b88fe6d6a9", text=f"qua {how}")
        assert status == 200 and set(sent["result"]) == {"message_id", "date"}
        assert isinstance(sent["result"]["message_id"], str) and sent["result"]["date"] > 10**12
    assert emu.texts("6ede9afa66b88fe6d6a9") == ["qua json", "qua form", "qua get"]
    status, action = await call(http, emu, "sendChatAction", chat_id="6ede9afa66b88fe6d6a9", action="typing")
    assert action == {"ok": True}


async def test_errors(emu, http):
    assert await call(http, emu, "getme") == (400, {
        "ok": False, "error_code": 400, "description": "Bad request: invalid API name getme"})  # case-sensitive
    status, body = await call(http, emu, "getMe", token="1:wrong")
    assert status == body["error_code"] == 401
    status, body = await call(http, emu, "sendMessage", chat_id="6ede9afa66b88fe6d6a9", text="x" * (MAX_TEXT + 1))
    assert status == 400 and "2000" in body["description"]
    assert (await call(http, emu, "sendMessage", chat_id="6ede9afa66b88fe6d6a9", text="x" * MAX_TEXT))[0] == 200
    assert (await call(http, emu, "sendMessage", chat_id="6ede9afa66b88fe6d6a9", text=""))[0] == 400
    assert (await call(http, emu, "sendMessage", chat_id="nobody", text="hi"))[1]["description"].endswith("chat not found")
    assert (await call(http, emu, "sendPhoto", chat_id="6ede9afa66b88fe6d6a9", photo="not-a-url"))[0] == 400
    emu.fail_next("sendMessage", 429, "Quota exceeded", times=2)
    for _ in range(2):
        assert (await call(http, emu, "sendMessage", chat_id="6ede9afa66b88fe6d6a9", text="a"))[1] == {
            "ok": False, "error_code": 429, "description": "Quota exceeded"}
    assert (await call(http, emu, "sendMessage", chat_id="6ede9afa66b88fe6d6a9", text="b"))[0] == 200
    emu.block_bot("6ede9afa66b88fe6d6a9")
    assert (await call(http, emu, "sendMessage", chat_id="6ede9afa66b88fe6d6a9", text="c"))[0] == 403


async def test_a_quota_answers_429_quota_exceeded():
    now = [0.0]
    async with ZaloEmulator(TOKEN, quota_per_second=2, clock=lambda: now[0]) as emu, aiohttp.ClientSession() as http:
        emu.add_user("u1", "Lan")
        statuses = [(await call(http, emu, "sendMessage", chat_id="u1", text="a"))[0] for _ in range(3)]
        now[0] += 1.0
        statuses.append((await call(http, emu, "sendMessage", chat_id="u1", text="b"))[0])
    assert statuses == [200, 200, 429, 200] and emu.throttled_count == 1


async def test_get_updates_hands_out_one_event_or_408(emu, http):
    assert await call(http, emu, "getUpdates", timeout="0") == (408, {
        "ok": False, "error_code": 408, "description": "Request timeout"})
    await emu.send_text("6ede9afa66b88fe6d6a9", "Một")
    await emu.send_text("6ede9afa66b88fe6d6a9", "Hai")
    status, first = await call(http, emu, "getUpdates", timeout="30")
    assert status == 200 and first["result"]["event_name"] == "message.text.received"
    message = first["result"]["message"]
    assert message["text"] == "Một" and message["chat"] == {"id": "6ede9afa66b88fe6d6a9", "chat_type": "PRIVATE"}
    assert message["from"]["id"] == "6ede9afa66b88fe6d6a9" and message["date"] > 10**12
    assert (await call(http, emu, "getUpdates", timeout="0"))[1]["result"]["message"]["text"] == "Hai"
    assert (await call(http, emu, "getUpdates", timeout="0"))[0] == 408  # handed out = gone


async def test_a_newer_poll_ends_an_older_one(emu, http):
    older = asyncio.create_task(call(http, emu, "getUpdates", timeout="30"))
    await emu.wait_for(lambda: emu._poll_generation == 1)
    newer = asyncio.create_task(call(http, emu, "getUpdates", timeout="30"))
    assert (await older)[0] == 408
    await emu.send_text("6ede9afa66b88fe6d6a9", "Cho lần gọi mới")
    assert (await newer)[1]["result"]["message"]["text"] == "Cho lần gọi mới"


async def test_the_webhook_gets_the_wrapped_event_with_the_secret(emu, http):
    received: list[tuple[dict, dict]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.json()))
        return web.json_response({"message": "Success"})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        assert (await call(http, emu, "setWebhook", url=url, secret_token="short"))[0] == 400  # 8-256 characters
        status, info = await call(http, emu, "setWebhook", url=url, secret_token="secret-token-1")
        assert status == 200 and info["result"]["url"] == url and info["result"]["updated_at"] > 10**12
        assert (await call(http, emu, "getUpdates", timeout="0"))[0] == 400  # not while a webhook is set
        await emu.send_photo("6ede9afa66b88fe6d6a9", caption="Họp dân")
        emu.wrap_webhook_events = False
        await emu.send_sticker("6ede9afa66b88fe6d6a9")
        (headers, wrapped), (_, bare) = received
        assert headers["X-Bot-Api-Secret-Token"] == "secret-token-1" and headers["Content-Type"] == "application/json"
        assert wrapped["ok"] is True and wrapped["result"]["event_name"] == "message.image.received"
        photo = wrapped["result"]["message"]["photo"]
        async with http.get(photo) as response:
            assert await response.read() == TINY_PNG
        assert bare["event_name"] == "message.sticker.received" and "ok" not in bare
        assert emu.webhook_responses == [200, 200]
        assert (await call(http, emu, "getWebhookInfo"))[1]["result"]["url"] == url
        assert (await call(http, emu, "deleteWebhook"))[1]["result"]["url"] == ""
    finally:
        await runner.cleanup()


async def test_the_control_api_of_the_demo_page(emu, http):
    async with http.post(f"{emu.root_url}/_emu/users", json={"display_name": "Minh"}) as response:
        user = await response.json()
    assert len(user["id"]) == 20 and user["display_name"] == "Minh"
    async with http.post(f"{emu.root_url}/_emu/users/{user['id']}/send", json={"text": "Xin chào"}) as response:
        assert (await response.json()) == {"ok": True}
    async with http.post(f"{emu.root_url}/_emu/users/nobody/send", json={"text": "?"}) as response:
        assert response.status == 400
    await call(http, emu, "sendMessage", chat_id=user["id"], text="Chào Minh")
    async with http.get(f"{emu.root_url}/_emu/chats/{user['id']}/messages", params={"after": 0}) as response:
        listing = await response.json()
    assert [(m["from_bot"], m["text"]) for m in listing["messages"]] == [(False, "Xin chào"), (True, "Chào Minh")]
    after = listing["messages"][-1]["seq"]
    async with http.get(f"{emu.root_url}/_emu/chats/{user['id']}/messages", params={"after": after}) as response:
        assert (await response.json())["messages"] == []
    with pytest.raises(EmulatorError):
        await emu.send_text("nobody", "?")
    assert json.dumps(emu.messages(user["id"]))  # the transcript is plain JSON


async def test_the_bot_is_added_to_and_removed_from_a_group_and_cannot_write_there_after(emu, http):
    """Group events as we assume Zalo will send them (README: "Shares into Zalo groups")."""
    added = await emu.add_bot_to_group("6ede9afa66b88fe6d6a9", "0c0e1aa8e2f20bac52e3", title="Chi hội Cái Nhum")
    assert added["event_name"] == "group.bot.joined"
    assert added["message"]["chat"] == {"id": "0c0e1aa8e2f20bac52e3", "chat_type": "GROUP", "title": "Chi hội Cái Nhum"}
    assert added["message"]["from"]["id"] == "6ede9afa66b88fe6d6a9"
    status, _ = await call(http, emu, "sendMessage", chat_id="0c0e1aa8e2f20bac52e3", text="Chào cả nhóm")
    assert status == 200 and emu.bot_in_group("0c0e1aa8e2f20bac52e3")
    left = await emu.remove_bot_from_group("6ede9afa66b88fe6d6a9", "0c0e1aa8e2f20bac52e3")
    assert left["event_name"] == "group.bot.left"
    status, refused = await call(http, emu, "sendMessage", chat_id="0c0e1aa8e2f20bac52e3", text="Còn ai không?")
    assert status == 403 and "not a member" in refused["description"]
    with pytest.raises(EmulatorError, match="not in this group"):
        await emu.send_text("6ede9afa66b88fe6d6a9", "Bot ơi", chat_id="0c0e1aa8e2f20bac52e3")
