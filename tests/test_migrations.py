from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Base
from tests.conftest import USE_POSTGRES

MIGRATION_SCHEMA = "migration_test"  # PostgreSQL: a schema of its own, away from the shared test schema


async def test_migrations_create_every_model_table(engine):
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables


async def test_migrations_match_the_models(engine):
    """What the models say is stored is what the migrations built (README's privacy list relies on it)."""
    async with engine.connect() as conn:
        differences = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
        )
    assert differences == []


@pytest.fixture
async def empty_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on a database with no tables at all, to migrate step by step."""
    if not USE_POSTGRES:
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'steps.db'}")
        yield engine
        await engine.dispose()
        return
    import os

    url = os.environ["TEST_DATABASE_URL"]
    admin = create_async_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA IF EXISTS {MIGRATION_SCHEMA} CASCADE"))
        await conn.execute(text(f"CREATE SCHEMA {MIGRATION_SCHEMA}"))
    engine = create_async_engine(url, connect_args={"server_settings": {"search_path": MIGRATION_SCHEMA}})
    yield engine
    await engine.dispose()
    async with admin.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA {MIGRATION_SCHEMA} CASCADE"))
    await admin.dispose()


async def test_0007_forgets_profile_names_and_the_names_of_citizens(empty_engine):
    await upgrade(empty_engine, "0006")
    at = datetime(2026, 11, 1, tzinfo=UTC).replace(tzinfo=None)
    async with empty_engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO units (id, code, name, kind, level, path, created_at, updated_at) "
            "VALUES (1, '86', 'Tỉnh Vĩnh Long', 'tỉnh', 0, '/86/', :at, :at)"
        ), {"at": at})
        await conn.execute(text(
            "INSERT INTO people (id, full_name, consent_at, created_at) "
            "VALUES (1, 'Lê Thị Hoa', :at, :at), (2, 'Trần Thị Lan', :at, :at)"
        ), {"at": at})
        await conn.execute(text(
            "INSERT INTO identities (id, person_id, platform, external_id, chat_id, display_name, created_at) "
            "VALUES (1, 1, 'telegram', '11', '11', 'Hoa Lê', :at), (2, 2, 'zalo', 'z2', 'z2', 'Lan Trần', :at)"
        ), {"at": at})
        await conn.execute(text(
            "INSERT INTO role_assignments (id, person_id, unit_id, role, created_at) "
            "VALUES (1, 1, 1, 'citizen', :at), (2, 2, 1, 'citizen', :at), (3, 2, 1, 'officer', :at)"
        ), {"at": at})

    await upgrade(empty_engine)

    async with empty_engine.connect() as conn:
        columns = await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns("identities")})
        names = dict((await conn.execute(text("SELECT id, full_name FROM people ORDER BY id"))).all())
        accounts = (await conn.execute(text("SELECT platform, external_id FROM identities ORDER BY id"))).all()
    assert "display_name" not in columns  # the profile names are gone, for everyone
    assert names == {1: None, 2: "Trần Thị Lan"}  # the citizen's too; the name the officer typed stays
    assert accounts == [("telegram", "11"), ("zalo", "z2")]  # the accounts themselves are kept


async def test_0018_folds_the_text_of_feedback_already_there(empty_engine):
    await upgrade(empty_engine, "0017")
    at = datetime(2026, 11, 1, tzinfo=UTC).replace(tzinfo=None)
    async with empty_engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO units (id, code, name, kind, level, path, created_at, updated_at) "
            "VALUES (1, '86', 'Tỉnh Vĩnh Long', 'tỉnh', 0, '/86/', :at, :at)"
        ), {"at": at})
        await conn.execute(text(
            "INSERT INTO feedback (id, reference, unit_id, category, text, photos, status, created_at) "
            "VALUES (1, 'PA-0111-AAAA', 1, 'giaoduc', 'Thiếu  PHÒNG học, Đường lầy', '[]', 'new', :at)"
        ), {"at": at})

    await upgrade(empty_engine)

    async with empty_engine.connect() as conn:
        folded = await conn.scalar(text("SELECT folded_text FROM feedback WHERE id = 1"))
    assert folded == "thieu phong hoc, duong lay"
