"""What counts as a database error in `ketnoi_database_errors_total` (and what does not)."""

from __future__ import annotations

import sqlite3

import aiohttp
from sqlalchemy.exc import OperationalError

from storage.failures import is_database_error


def test_the_database_and_its_connection_count():
    assert is_database_error(OperationalError("SELECT 1", {}, sqlite3.OperationalError("unable to open")))
    assert is_database_error(ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"))
    try:
        try:
            raise sqlite3.OperationalError("database is locked")
        except sqlite3.OperationalError as exc:
            raise RuntimeError("while claiming the update") from exc
    except RuntimeError as wrapped:
        assert is_database_error(wrapped)


def test_a_bug_or_an_http_client_error_does_not():
    assert not is_database_error(ValueError("a bug"))
    assert not is_database_error(aiohttp.ClientOSError(104, "Connection reset by peer"))
