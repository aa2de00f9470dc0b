"""Engine and session factory. Built once at the composition root, disposed at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

log = logging.getLogger(__name__)

# Pauses between attempts while the database is not reachable yet; the last one repeats.
RETRY_PAUSES_SECONDS = (0.5, 1.0, 2.0, 5.0)
# One attempt's bound: a host that drops packets would otherwise hold a connect for minutes.
ATTEMPT_SECONDS = 10.0


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Create the async engine; for SQLite, create the folder and turn on WAL and foreign keys.

    Statement parameters are hidden from errors (`hide_parameters`): they hold names, chat ids and
    what people wrote, and a failed statement's error is logged with its traceback.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with contextlib.suppress(OSError):  # wait_for_database says why, in one line
            _create_sqlite_folder(parsed)
        engine = create_async_engine(url, echo=echo, hide_parameters=True, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_async_engine(
        url, echo=echo, hide_parameters=True, pool_size=10, max_overflow=10, pool_pre_ping=True
    )


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """One session per incoming event; objects stay readable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


class DatabaseUnreachable(Exception):
    """The database cannot be reached: one line naming where (host:port or file) and why, never
    the password, for the operator instead of a traceback."""


async def wait_for_database(
    engine: AsyncEngine,
    *,
    wait_seconds: float,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> None:
    """Connect once, retrying for up to `wait_seconds` while the database is not reachable yet.

    A container often starts before its database (or before its volume is mounted), so refused
    connections, unknown hosts, timeouts and "starting up" are waited out; anything else (a wrong
    password, a database that does not exist) cannot get better by waiting and fails at once.
    Raises `DatabaseUnreachable` with one line.
    """
    deadline = monotonic() + wait_seconds
    pauses = iter(RETRY_PAUSES_SECONDS)
    pause = RETRY_PAUSES_SECONDS[0]
    first_failure = True
    while True:
        try:
            await _connect_once(engine)
            return
        except Exception as exc:  # the cause is classified below; nothing is swallowed
            cause = _root_cause(exc)
            left = deadline - monotonic()
            if not _worth_waiting_for(cause) or left <= 0:
                waited = wait_seconds if _worth_waiting_for(cause) and wait_seconds > 0 else None
                raise DatabaseUnreachable(_describe(engine.url, cause, waited)) from None
            if first_failure:
                log.warning(
                    "database %s not reachable yet (%s); retrying for up to %g s (DATABASE_WAIT_SECONDS)",
                    _where(engine.url), _cause_text(cause), wait_seconds,
                )
                first_failure = False
        pause = next(pauses, pause)
        await sleep(min(pause, max(left, 0.0)))


async def _connect_once(engine: AsyncEngine) -> None:
    if engine.url.get_backend_name() == "sqlite":
        _create_sqlite_folder(engine.url)
    async with asyncio.timeout(ATTEMPT_SECONDS), engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


def _create_sqlite_folder(url: URL) -> None:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def _root_cause(exc: BaseException) -> BaseException:
    """The driver's own error under SQLAlchemy's wrapper."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        inner = exc.orig
        return inner.__cause__ if inner.__cause__ is not None else inner
    return exc


def _worth_waiting_for(cause: BaseException) -> bool:
    if isinstance(cause, OSError | TimeoutError | sqlite3.OperationalError):
        return True
    # asyncpg's CannotConnectNowError: "the database system is starting up".
    return type(cause).__name__ in {"CannotConnectNowError", "TooManyConnectionsError"}


def _where(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return str(Path(url.database or ":memory:").resolve()) if url.database != ":memory:" else ":memory:"
    return f"{url.host or 'localhost'}:{url.port or 5432}"


def _cause_text(cause: BaseException) -> str:
    if isinstance(cause, TimeoutError):
        return f"no answer within {ATTEMPT_SECONDS:g} s"
    if isinstance(cause, FileExistsError) and cause.filename:  # a file where the folder should be
        return f"not a folder: {cause.filename}"
    if isinstance(cause, OSError) and cause.errno:
        # asyncio's strerror for a refused connect is "Connect call failed (...)": say what happened.
        reason = (os.strerror(cause.errno) if cause.errno > 0 else cause.strerror or str(cause)).lower()
        return f"{reason}: {cause.filename}" if cause.filename else reason
    first_line = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return first_line or type(cause).__name__


def _describe(url: URL, cause: BaseException, waited: float | None) -> str:
    verb = "cannot open" if url.get_backend_name() == "sqlite" else "cannot connect to"
    line = f"Database error: {verb} {_where(url)}: {_cause_text(cause)}"
    if waited is not None:
        line += f" (gave up after {waited:g} s, DATABASE_WAIT_SECONDS)"
    return line.replace(url.password, "***") if url.password else line  # a driver might echo it
