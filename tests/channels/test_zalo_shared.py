"""Zalo's inbox and served files in the database: what one process accepted or made, another
one handles or serves (two keepers with their own engines, as two processes have)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.channels.zalo.inbox import SharedInbox
from bot.channels.zalo.media import MEDIA_ROUTE, SharedMedia
from bot.emulator.zalo import TINY_PNG
from storage.db import make_engine, make_session_factory
from tests.support import FakeClock


@pytest.fixture
async def two_processes(db_url) -> AsyncIterator[list]:
    """Two session factories on one database, each with its own engine."""
    engines = [make_engine(db_url), make_engine(db_url)]
    yield [make_session_factory(engine) for engine in engines]
    for engine in engines:
        await engine.dispose()


def event(n: int) -> dict:
    return {"event_name": "message.text.received", "message": {"message_id": f"m{n}", "text": f"Tin {n}"}}


async def test_a_dead_processs_events_are_taken_over_once_its_lease_runs_out(two_processes, now):
    clock = FakeClock(now)
    a, b = (SharedInbox(sessions, clock=clock, lease_seconds=30) for sessions in two_processes)
    first = await a.put(event(1))
    await a.put(event(2))
    assert await b.take() == []  # A holds them
    clock.advance(seconds=20)
    await a.keep()  # A is alive: it renews
    clock.advance(seconds=20)
    assert await b.take() == []
    await a.done(first)
    clock.advance(seconds=31)  # A died
    taken = await b.take()
    assert [e["message"]["message_id"] for _, e in taken] == ["m2"]
    assert await a.take() == []  # now B's
    await b.done(taken[0][0])
    assert await a.pending() == 0


async def test_an_orderly_stop_gives_events_back_at_once(two_processes, now):
    clock = FakeClock(now)
    a, b = (SharedInbox(sessions, clock=clock, lease_seconds=30) for sessions in two_processes)
    await a.put(event(3))
    await a.release()
    assert [e["message"]["message_id"] for _, e in await b.take()] == ["m3"]


async def test_old_on_disk_events_move_into_the_database(two_processes, now, tmp_path):
    old = tmp_path / "inbox"  # as versions before 0017 left it: one JSON file per event
    old.mkdir()
    (old / "00000000001750316131602000-77-000000.json").write_text(json.dumps(event(4)), encoding="utf-8")
    (old / "broken.json").write_text("{not json", encoding="utf-8")
    shared = SharedInbox(two_processes[0], clock=FakeClock(now))
    assert await shared.adopt(tmp_path / "inbox") == 2
    assert list(old.iterdir()) == []
    assert [e["message"]["message_id"] for _, e in await shared.take()] == ["m4"]
    assert await shared.adopt(tmp_path / "missing") == 0


async def test_a_file_made_by_one_process_is_served_by_another(two_processes, now):
    clock = FakeClock(now)
    maker, server = (SharedMedia(sessions, ttl=3600, clock=clock) for sessions in two_processes)
    name = await maker.put(TINY_PNG, "ma-qr.png")
    assert await maker.put(TINY_PNG, "ma-qr.png") == name  # the same picture is stored once
    document = await maker.put(b"PK\x03\x04", "Báo cáo.xlsx")
    app = web.Application()
    app.router.add_get(MEDIA_ROUTE, server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}/media/"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(base + name) as resp:
                assert (resp.status, resp.content_type, await resp.read()) == (200, "image/png", TINY_PNG)
            async with http.get(base + document) as resp:
                assert "attachment" in resp.headers["Content-Disposition"] and await resp.read() == b"PK\x03\x04"
            clock.advance(hours=2)  # expired
            async with http.get(base + name) as resp:
                assert resp.status == 404
            assert await server.prune() == 2
            assert await maker.put(TINY_PNG, "ma-qr.png") != name  # a new name once the old one expired
    finally:
        await runner.cleanup()
