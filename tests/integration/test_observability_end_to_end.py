"""Issue #15.3 end to end: `/metrics` counts what happened (a conversation on each platform, a
reminder, a broadcast with a 429 forced by the Telegram emulator's flood limits), `/healthz`
answers, and `/readyz` says 200 while the database and the platforms answer, 503 naming what
failed when one of them does not. Everything over real HTTP, against the emulators."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from bot.app import KetNoiApp
from bot.emulator.telegram import TelegramEmulator
from broadcasts import approval as broadcasts
from storage.models import Role
from tests.conftest import USE_POSTGRES
from tests.integration.conftest import ADMIN_ID, TOKEN, register
from tests.integration.drivers import approve_and_send

NOV_10 = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # October's report overdue: the officer is reminded
APPROVER, OFFICER = 1002, 3005
MEMBERS = {"telegram": (5001, 5002), "zalo": (5003,)}


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    """Telegram, at one message a second overall on a clock that stands still: once its limits are
    enforced, the second message of a broadcast gets 429 and waits (until the test ends)."""
    emu = TelegramEmulator(TOKEN, bot_username="ketnoi_test_bot", overall_per_second=1, clock=lambda: 1000.0)
    await emu.start()
    emu.add_user(ADMIN_ID, "An", last_name="Nguyễn Văn")
    yield emu
    await emu.stop()


async def get(app, path: str, **headers: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(f"{app.web.url}{path}", headers=headers) as response:
        return response.status, await response.text()


async def scrape(app) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """/metrics parsed: (sample name, sorted labels) -> value."""
    status, body = await get(app, "/metrics")
    assert status == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def value(samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


async def release_a_broadcast(session_factory, clock) -> None:
    await approve_and_send(
        session_factory, platform="telegram", author=str(ADMIN_ID), approver=str(APPROVER),
        audience=broadcasts.Audience(units=("86",), roles=(Role.MEMBER,)), text="Thông báo họp chi hội", now=clock(),
    )


async def test_metrics_count_the_conversations_a_reminder_and_a_broadcast_with_a_429(
    harness, emulator, zalo_emulator, start_app, seeded, session_factory, clock
):
    clock.now = NOV_10
    await register(session_factory, clock, platform="telegram", n=APPROVER, name="Lê Thị Hoa", unit_code="86",
                   role=Role.PROVINCE_ADMIN)
    await register(session_factory, clock, platform="telegram", n=OFFICER, name="Trần Thị Bình",
                   unit_code="29641", role=Role.OFFICER)
    for platform, numbers in MEMBERS.items():
        for n in numbers:
            await register(session_factory, clock, platform=platform, n=n, name=f"Hội viên {n}",
                           unit_code="29641", role=Role.MEMBER)
    app = await start_app(broadcast_limits=False)
    before = await scrape(app)
    assert value(before, "ketnoi_outbox_pending", platform="telegram") == 0
    assert value(before, "ketnoi_outbox_pending", platform="zalo") == 0

    # A conversation on each platform: answered events, and one refused (an unknown command).
    officer = harness.person(OFFICER, "Trần Thị Bình")
    on_telegram = harness.person(2001, "Lê Văn Chín")
    on_zalo = harness.person(2002, "Phạm Thị Mười", platform="zalo")
    assert await on_telegram.say("/start")
    assert await on_telegram.say("/khongcolenhnay")
    assert await on_zalo.say("/start")

    # The scheduler's reminder pass, as its job runs it.
    reminded = await app.reminders.tick()
    assert reminded >= 1 and "quá hạn" in officer.text(officer.new_messages())

    # A broadcast to three members while Telegram enforces its limits: one 429.
    members = [harness.person(n, f"Hội viên {n}", platform=p) for p, numbers in MEMBERS.items() for n in numbers]
    emulator.enforce_limits = True
    await release_a_broadcast(session_factory, clock)
    app._wake_outbox()
    assert await emulator.wait_for(lambda: emulator.throttled_count == 1 and sum(
        len(m.transcript()) for m in members if m.platform == "telegram") == 1)
    assert await zalo_emulator.wait_for(lambda: all(m.transcript() for m in members if m.platform == "zalo"))
    await app.outbox.stop()  # writes every result it holds; the throttled message stays pending

    after = await scrape(app)
    assert value(after, "ketnoi_updates_total", platform="telegram", outcome="answered") == 1
    assert value(after, "ketnoi_updates_total", platform="telegram", outcome="refused") == 1
    assert value(after, "ketnoi_updates_total", platform="zalo", outcome="answered") == 1
    assert value(after, "ketnoi_reply_seconds_count", platform="telegram") == 2
    assert value(after, "ketnoi_reply_seconds_count", platform="zalo") == 1
    assert sum(v for (name, _), v in after.items() if name == "ketnoi_reminders_sent_total") == reminded
    assert value(after, "ketnoi_reminders_sent_total", kind="remind") >= 1
    assert value(after, "ketnoi_outbox_deliveries_total", platform="telegram", result="sent", reason="") == 1
    assert value(after, "ketnoi_outbox_deliveries_total", platform="telegram", result="defer",
                 reason="throttled") == 1
    assert value(after, "ketnoi_outbox_deliveries_total", platform="zalo", result="sent", reason="") == 1
    assert value(after, "ketnoi_throttled_total", platform="telegram") == 1
    assert value(after, "ketnoi_outbox_pending", platform="telegram") == 1
    assert value(after, "ketnoi_outbox_pending", platform="zalo") == 0
    assert not [key for key in after if key[0] == "ketnoi_database_errors_total"]
    # Nothing personal in a label: no chat id, no name, no text.
    labels = " ".join(f"{k}={v}" for _, pairs in after for k, v in pairs)
    for personal in ("5001", "2001", harness.id_of(2002, "zalo"), "Chín", "Thông báo", "khongcolenhnay"):
        assert personal not in labels


async def test_metrics_ask_for_the_token_when_one_is_set(harness, start_app, seeded):
    app = await start_app(metrics_token="scrape-me-please")
    assert (await get(app, "/metrics"))[0] == 401
    assert (await get(app, "/metrics", Authorization="Bearer wrong"))[0] == 401
    assert (await get(app, "/metrics", Authorization="scrape-me-please"))[0] == 401
    status, body = await get(app, "/metrics", Authorization="Bearer scrape-me-please")
    assert status == 200 and "ketnoi_updates_total" in body


async def test_healthz_and_readyz_while_everything_answers(harness, start_app, seeded):
    app = await start_app()
    assert await get(app, "/healthz") == (200, '{"status": "ok"}')
    status, body = await get(app, "/readyz")
    assert status == 200
    assert '"database": "ok"' in body and '"telegram": "ok"' in body and '"zalo": "ok"' in body


async def test_readyz_names_a_platform_whose_getme_fails(harness, emulator, start_app, seeded):
    app = await start_app()
    app.readiness.recheck_seconds = 0  # ask again at every probe
    emulator.fail_next("getMe", 502, "Bad Gateway")
    status, body = await get(app, "/readyz")
    assert status == 503
    assert '"telegram": "getMe failed' in body and '"zalo": "ok"' in body and '"database": "ok"' in body
    assert (await get(app, "/readyz"))[0] == 200  # the next probe asks again, and Telegram answers


class _Proxy:
    """A TCP proxy in front of PostgreSQL: closing it is the database going away."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.writers: set[asyncio.StreamWriter] = set()
        self.tasks: set[asyncio.Task] = set()
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _accept(self, reader, writer) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers |= {writer, up_writer}
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    @staticmethod
    async def _pipe(source, sink) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        sink.close()

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer in self.writers:
            writer.close()
        for writer in self.writers:
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def move_the_sqlite_file_away(path: Path) -> None:
    """A folder where the file was: SQLite cannot open (nor create) a database there."""
    for suffix in ("", "-wal", "-shm"):
        kept = path.with_name(path.name + suffix)
        if kept.exists():
            kept.rename(kept.with_name(kept.name + ".gone"))
    path.mkdir()


async def test_readyz_is_503_when_the_database_is_gone(harness, make_settings, clock, seeded, db_url):
    settings, proxy = make_settings(), None
    if USE_POSTGRES:  # the app reaches PostgreSQL through a proxy the test can close
        url = make_url(db_url)
        proxy = _Proxy(url.host or "127.0.0.1", url.port or 5432)
        through = url.set(host="127.0.0.1", port=await proxy.start()).render_as_string(hide_password=False)
        settings = settings.model_copy(update={"database_url": through})
    app = KetNoiApp(settings, clock=clock)
    try:
        await app.start()
        assert (await get(app, "/readyz"))[0] == 200
        await app.outbox.stop()  # nothing else holds a connection while the database goes
        if proxy is not None:
            await proxy.close()
        else:
            await app.engine.dispose()
            move_the_sqlite_file_away(Path(make_url(db_url).database))

        status, body = await get(app, "/readyz")
        assert status == 503
        assert '"database": "unreachable' in body and '"telegram": "ok"' in body
        assert (await get(app, "/healthz"))[0] == 200  # alive all the same: no restart would help
        samples = await scrape(app)
        assert value(samples, "ketnoi_database_errors_total", where="readyz") == 1
        assert value(samples, "ketnoi_database_errors_total", where="metrics") == 1  # the backlog is not read
        assert not [key for key in samples if key[0] == "ketnoi_outbox_pending"]
    finally:
        await app.stop()
        if proxy is not None:
            await proxy.close()


async def test_metrics_count_the_429s_replies_get_on_each_platform(harness, emulator, zalo_emulator, start_app, seeded):
    """A reply's 429 is counted as the outbox's are (`ketnoi_throttled_total`); Telegram's reply is
    sent again after the pause it asked for."""
    app = await start_app()
    on_telegram = harness.person(2001, "Lê Văn Chín")
    on_zalo = harness.person(2002, "Phạm Thị Mười", platform="zalo")
    emulator.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", parameters={"retry_after": 1},
                       chat_id=2001)
    assert await on_telegram.say("/trogiup")  # answered after the retry
    zalo_emulator.fail_next("sendMessage", 429, "Quota exceeded", chat_id=harness.id_of(2002, "zalo"))
    await on_zalo.say("/trogiup")

    after = await scrape(app)
    assert value(after, "ketnoi_throttled_total", platform="telegram") == 1
    assert value(after, "ketnoi_throttled_total", platform="zalo") == 1
