"""The Zalo client against the emulator and against a server that misbehaves on purpose."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.channels.zalo.client import ZaloClient, ZaloError
from bot.emulator.zalo import ZaloEmulator
from tests.integration.conftest import free_port

TOKEN = "1234567:zalo-client-test"


@pytest.fixture
async def emu() -> AsyncIterator[ZaloEmulator]:
    async with ZaloEmulator(TOKEN) as emulator:
        emulator.add_user("u1", "Lan")
        yield emulator


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_client(sleeps):
    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    def build(base_url: str, **options) -> ZaloClient:
        return ZaloClient(TOKEN, base_url, sleep=fake_sleep, **options)

    return build


async def test_methods_speak_the_emulators_wire_format(emu, make_client):
    async with make_client(emu.base_url) as client:
        me = await client.get_me()
        assert set(me) == {"id", "account_name", "account_type", "can_join_groups"}
        assert await client.get_update(0) is None  # 408: nothing came
        await emu.send_text("u1", "Xin chào")
        event = await client.get_update(0)
        assert event["event_name"] == "message.text.received" and event["message"]["text"] == "Xin chào"
        sent = await client.send_message("u1", "Chào bạn")
        assert isinstance(sent["message_id"], str) and sent["date"] > 10**12  # milliseconds
        await client.send_photo("u1", "https://example.org/a.png", "Ảnh")
        await client.send_chat_action("u1")
        info = await client.set_webhook("https://example.org/zalo", "secret-8chars")
        assert (await client.get_webhook_info())["url"] == info["url"] == "https://example.org/zalo"
        assert (await client.delete_webhook())["url"] == ""
    assert [name for name, _ in emu.calls][-6:] == [
        "sendMessage", "sendPhoto", "sendChatAction", "setWebhook", "getWebhookInfo", "deleteWebhook"]
    assert emu.calls[1][1] == {"timeout": "0"}  # Zalo's timeout is a string of seconds


async def test_errors_carry_zalos_code_and_description(emu, make_client):
    async with make_client(emu.base_url) as client:
        with pytest.raises(ZaloError) as too_long:
            await client.send_message("u1", "x" * 2001)
        emu.fail_next("sendMessage", 429, "Quota exceeded")
        with pytest.raises(ZaloError) as quota:
            await client.send_message("u1", "y")
        with pytest.raises(ZaloError) as method:
            await client.call("getme")  # method names are case-sensitive
    assert (too_long.value.status, quota.value.status, method.value.status) == (400, 429, 400)
    assert quota.value.description == "Quota exceeded"
    async with ZaloClient("9:wrong-token", emu.base_url) as wrong:
        with pytest.raises(ZaloError) as unauthorized:
            await wrong.get_me()
    assert unauthorized.value.status == 401


def _server(responses: list[tuple[int, object]]):
    """A fake Zalo answering each call with the next (status, body) and counting the calls."""
    calls: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        calls.append(request.match_info["method"])
        status, body = responses.pop(0) if responses else (200, {"ok": True, "result": {}})
        if isinstance(body, str):
            return web.Response(status=status, text=body)
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", handle)
    return app, calls


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/bot"


async def test_an_error_in_a_200_answer_counts_and_408_means_no_update(make_client):
    app, _ = _server([(200, {"ok": False, "error_code": 408, "description": "Request timeout"}),
                      (200, {"ok": False, "error_code": 403, "description": "Internal server error"})])
    runner, url = await _serve(app)
    try:
        async with make_client(url) as client:
            assert await client.get_update(1) is None
            with pytest.raises(ZaloError) as refused:
                await client.send_message("u1", "hi")
        assert refused.value.status == 403
    finally:
        await runner.cleanup()


async def test_idempotent_calls_are_retried_on_server_errors_and_sends_are_not(make_client, sleeps):
    app, calls = _server([(502, "<html>Bad gateway</html>"), (503, {"ok": False}), (200, {"ok": True, "result": {"id": "1"}}),
                          (500, {"ok": False, "error_code": 500, "description": "oops"})])
    runner, url = await _serve(app)
    try:
        async with make_client(url, retries=2, backoff=0.5) as client:
            assert await client.get_me() == {"id": "1"}
            with pytest.raises(ZaloError) as failed:
                await client.send_message("u1", "hi")  # maybe delivered: never repeated
        assert calls == ["getMe", "getMe", "getMe", "sendMessage"]
        assert sleeps == [0.5, 1.0] and failed.value.transient
    finally:
        await runner.cleanup()


async def test_a_send_that_never_left_is_retried(make_client, sleeps):
    async with make_client(f"http://127.0.0.1:{free_port()}/bot", retries=2) as client:
        with pytest.raises(ZaloError) as refused:
            await client.send_message("u1", "hi")
    assert refused.value.status is None and refused.value.sent is False and len(sleeps) == 2
