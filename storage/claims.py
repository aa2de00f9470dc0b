"""Insert-if-absent, the one primitive behind every "exactly once" in KetNoi.

SQLite and PostgreSQL spell it differently (`INSERT ... ON CONFLICT DO NOTHING` exists in both
dialects of SQLAlchemy, but under different modules); this hides the difference.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_if_absent(session: AsyncSession, model: type, **values: Any) -> bool:
    """Insert one row; False (and no error) when a unique key already holds it."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    result = await session.execute(dialect.insert(model).values(**values).on_conflict_do_nothing())
    return result.rowcount == 1


async def upsert(session: AsyncSession, model: type, key: dict[str, Any], values: dict[str, Any]) -> None:
    """Insert the row, or update `values` on the row that already holds `key` (last writer wins)."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(model).values(**key, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=values))


async def lock_for_transaction(session: AsyncSession, name: str) -> None:
    """Wait until no other transaction holds `name`, and hold it until this one ends.

    PostgreSQL: a transaction-level advisory lock on a 64-bit hash of `name`, so that several
    processes handle one chat's events one at a time. SQLite: nothing to do, its writers are
    serialised anyway (and it serves one process).
    """
    if session.bind.dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
