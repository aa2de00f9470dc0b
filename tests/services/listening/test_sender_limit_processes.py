"""The feedback limit across processes: two processes never both take a sender's last place."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from bot.services.listening.feedback import SenderLimit
from storage.db import make_engine, make_session_factory
from tests.conftest import USE_POSTGRES

pytestmark = pytest.mark.skipif(
    not USE_POSTGRES, reason="several processes share one PostgreSQL; SQLite serves one process"
)


async def test_the_last_place_in_the_hour_goes_to_one_process_only(db_url, now):
    engines = [make_engine(db_url), make_engine(db_url)]
    a, b = (make_session_factory(engine) for engine in engines)
    limit = SenderLimit(2, key=b"one key for every process")
    try:
        async with a() as session, session.begin():
            assert await limit.allow(session, "zalo:777", now)  # one place left
        async with a() as first:
            await first.begin()
            assert await limit.allow(first, "zalo:777", now)  # process A takes it, not committed yet
            second = asyncio.create_task(_allow(b, limit, now))  # process B, at the same moment
            async with b() as watcher:  # B waits for A's transaction (or, unguarded, is done already)
                while not (second.done() or await _someone_waits_for_a_lock(watcher)):
                    pass  # each look is a query: B runs meanwhile
            await first.commit()
        assert await second is False  # the hour is full: B's sender is told to wait
    finally:
        for engine in engines:
            await engine.dispose()


async def _allow(sessions, limit: SenderLimit, now) -> bool:
    async with sessions() as session, session.begin():
        return await limit.allow(session, "zalo:777", now)


async def _someone_waits_for_a_lock(session) -> bool:
    waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    return bool(await session.scalar(text(waiting)))
