"""Shared fixtures: a migrated database per test, on SQLite or (KETNOI_TEST_DB=postgres) PostgreSQL.

Migrations run once per test session into a template (SQLite: a file copied per test;
PostgreSQL: the schema, truncated per test), so every test starts from an empty, current schema.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Base

USE_POSTGRES = os.environ.get("KETNOI_TEST_DB") == "postgres"

# `make test` runs the SQLite and the PostgreSQL passes side by side, one per core. The few tests
# marked `alone` (several real processes sending at a platform's rate) then have the machine to
# themselves: each test of either pass holds this lock shared, an `alone` test holds it exclusively.
# Taken around the whole test protocol, outside pytest-timeout's bound, so waiting is never a timeout.
_MACHINE = open(os.environ["KETNOI_TEST_LOCK"], "a") if os.environ.get("KETNOI_TEST_LOCK") else None  # noqa: SIM115


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    if _MACHINE is None:
        yield
        return
    fcntl.flock(_MACHINE, fcntl.LOCK_EX if item.get_closest_marker("alone") else fcntl.LOCK_SH)
    try:
        yield
    finally:
        fcntl.flock(_MACHINE, fcntl.LOCK_UN)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The PostgreSQL pass runs what reaches a database (through `db_url`, or `empty_engine` for
    the migrations): a test that asks for none ran the very same code in the SQLite pass."""
    if not USE_POSTGRES:
        return
    kept = [item for item in items if {"db_url", "empty_engine"} & set(getattr(item, "fixturenames", ()))]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


def pytest_unconfigure(config: pytest.Config) -> None:
    if _MACHINE is not None:
        _MACHINE.close()
_state: dict[str, object] = {}


async def _prepare_postgres() -> str:
    url = os.environ["TEST_DATABASE_URL"]
    engine = make_engine(url)
    try:
        if not _state.get("pg_ready"):
            async with engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
            await upgrade(engine)
            _state["pg_ready"] = True
        else:
            tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
            async with engine.begin() as conn:
                await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()
    return url


async def _prepare_sqlite(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    template = _state.get("sqlite_template")
    if template is None:
        template = tmp_path_factory.mktemp("template") / "template.db"
        engine = make_engine(f"sqlite+aiosqlite:///{template}")
        await upgrade(engine)
        await engine.dispose()
        _state["sqlite_template"] = template
    target = tmp_path / "ketnoi.db"
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
async def db_url(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of an empty, migrated database for this test."""
    if USE_POSTGRES:
        return await _prepare_postgres()
    return await _prepare_sqlite(tmp_path, tmp_path_factory)


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_session_factory(engine)


@pytest.fixture
def now() -> datetime:
    """A fixed 'now' for service tests: 26 November 2026, 09:00 in Vietnam."""
    return datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"
TRA_VINH_CSV = Path(__file__).parent / "data" / "tra-vinh-2022.csv"


class _Undeclared(logging.Handler):
    """Collects the flow engine's warnings about jumps a flow does not declare."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "Flow.jumps does not declare" in record.getMessage():
            self.seen.append(record.getMessage())


@pytest.fixture(autouse=True)
def jumps_are_declared() -> Iterator[None]:
    """Every test that walks a flow also checks that its diagram (drawn from `Flow.jumps`) shows
    the way it went: a jump nobody declared fails the test that took it."""
    handler = _Undeclared()
    logger = logging.getLogger("handlers.flow")
    logger.addHandler(handler)
    yield
    logger.removeHandler(handler)
    assert not handler.seen, "; ".join(handler.seen)
