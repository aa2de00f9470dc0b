"""A database that is not reachable at start-up: `run` waits DATABASE_WAIT_SECONDS, retrying,
then gives up with one line naming where and why (never the password).

The retries are driven by an injected sleep that moves a fake clock, so no test waits out the
wait; "the database comes up" is an act of that sleep (a folder appears, a port starts to listen).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from storage.db import DatabaseUnreachable, make_engine, wait_for_database
from tests.bot.test_cli import cli
from tests.conftest import USE_POSTGRES

SECRET = "s3cret-pw"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FakeTime:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self, on_first_sleep=None) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._on_first_sleep = on_first_sleep

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if len(self.sleeps) == 1 and self._on_first_sleep is not None:
            await self._on_first_sleep()


# --------------------------------------------------------------------------- the operator's line


def test_run_against_a_closed_port_stops_with_one_line_naming_host_port_and_cause():
    port = _closed_port()
    result = cli(f"postgresql+asyncpg://ketnoi:{SECRET}@127.0.0.1:{port}/ketnoi", "run", DATABASE_WAIT_SECONDS="0")
    assert result.returncode == 1
    assert result.stderr.strip() == f"Database error: cannot connect to 127.0.0.1:{port}: connection refused"
    assert SECRET not in result.stdout + result.stderr


def test_after_its_wait_run_says_how_long_it_waited():
    port = _closed_port()
    result = cli(f"postgresql+asyncpg://ketnoi:{SECRET}@127.0.0.1:{port}/ketnoi", "run",
                 DATABASE_WAIT_SECONDS="0.2")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and SECRET not in result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"Database error: cannot connect to 127.0.0.1:{port}: connection refused "
        "(gave up after 0.2 s, DATABASE_WAIT_SECONDS)"
    )


def test_an_sqlite_file_that_cannot_be_created_stops_run_with_one_line(tmp_path):
    blocker = tmp_path / "volume"
    blocker.write_text("a file where the data folder should be")
    result = cli(f"sqlite+aiosqlite:///{blocker}/ketnoi.db", "run", DATABASE_WAIT_SECONDS="0")
    assert result.returncode == 1
    assert result.stderr.strip() == f"Database error: cannot open {blocker}/ketnoi.db: not a folder: {blocker}"


def test_one_shot_commands_say_the_same_line(tmp_path):
    port = _closed_port()
    result = cli(f"postgresql+asyncpg://ketnoi:{SECRET}@127.0.0.1:{port}/ketnoi", "units", "import",
                 "--province", "86", DATABASE_WAIT_SECONDS="0")
    assert result.returncode == 1
    assert result.stderr.strip() == f"Database error: cannot connect to 127.0.0.1:{port}: connection refused"


# --------------------------------------------------------------------------- waiting and retrying


async def test_a_database_that_never_comes_is_retried_for_the_whole_wait_then_given_up():
    port = _closed_port()
    engine = make_engine(f"postgresql+asyncpg://ketnoi:{SECRET}@127.0.0.1:{port}/ketnoi")
    time = FakeTime()
    try:
        with pytest.raises(DatabaseUnreachable) as given_up:
            await wait_for_database(engine, wait_seconds=30, sleep=time.sleep, monotonic=time.monotonic)
    finally:
        await engine.dispose()
    assert str(given_up.value) == (
        f"Database error: cannot connect to 127.0.0.1:{port}: connection refused "
        "(gave up after 30 s, DATABASE_WAIT_SECONDS)"
    )
    assert sum(time.sleeps) == 30 and len(time.sleeps) > 3  # retried all along, not once at the end


async def test_the_database_coming_up_during_the_wait_lets_start_up_go_on(db_url, tmp_path):
    """SQLite: its folder appears (a volume is mounted); PostgreSQL: its port starts listening."""
    async with _database_coming_up(db_url, tmp_path) as (url, come_up):
        engine = make_engine(url)
        time = FakeTime(on_first_sleep=come_up)
        try:
            await wait_for_database(engine, wait_seconds=60, sleep=time.sleep, monotonic=time.monotonic)
        finally:
            await engine.dispose()
    assert len(time.sleeps) == 1  # one refusal, one pause, then connected


@pytest.mark.skipif(not USE_POSTGRES, reason="a database name is a PostgreSQL matter")
async def test_what_waiting_cannot_mend_fails_at_once(db_url):
    url = make_url(db_url).set(database="no_such_database_e")
    engine = make_engine(url.render_as_string(hide_password=False))
    time = FakeTime()
    try:
        with pytest.raises(DatabaseUnreachable) as refused:
            await wait_for_database(engine, wait_seconds=60, sleep=time.sleep, monotonic=time.monotonic)
    finally:
        await engine.dispose()
    assert time.sleeps == []
    assert str(refused.value).endswith('database "no_such_database_e" does not exist')


@contextlib.asynccontextmanager
async def _database_coming_up(db_url: str, tmp_path: Path):
    """(a URL not reachable yet, the act that makes it reachable)."""
    if not USE_POSTGRES:
        folder = tmp_path / "volume"
        folder.write_text("not mounted yet")

        async def mount() -> None:
            folder.unlink()

        yield f"sqlite+aiosqlite:///{folder}/ketnoi.db", mount
        return
    real = make_url(db_url)
    port = _closed_port()
    servers: list[asyncio.Server] = []

    async def listen() -> None:
        servers.append(await _proxy(port, real.host or "127.0.0.1", real.port or 5432))

    try:
        yield real.set(port=port).render_as_string(hide_password=False), listen
    finally:
        for server in servers:
            server.close()


async def _proxy(port: int, host: str, target_port: int) -> asyncio.Server:
    """A TCP listener on `port` that forwards to the real database: the database "starts"."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(host, target_port)
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    return await asyncio.start_server(handle, "127.0.0.1", port)
