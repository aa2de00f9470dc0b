"""Telling a database failure from any other error, for counting (not for handling)."""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError


def is_database_error(exc: BaseException) -> bool:
    """True when `exc`, or what caused it, comes from the database or its connection.

    A refused or dropped connection surfaces as a plain `OSError` from the driver, not always
    wrapped by SQLAlchemy; an HTTP client's errors (also `OSError`s, from their own modules) and
    anything else (a bug, a platform's answer) are not the database's.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        module = type(current).__module__
        if isinstance(current, SQLAlchemyError) or module.startswith(("asyncpg", "sqlite3", "aiosqlite")):
            return True
        if isinstance(current, OSError) and module in ("builtins", "socket"):  # not an HTTP client's
            return True
        current = current.__cause__ or current.__context__
    return False
