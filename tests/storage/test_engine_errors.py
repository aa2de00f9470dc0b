"""A failed statement's error (logged with its traceback) never carries what the statement held."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError


async def test_a_failed_statement_names_no_parameter_in_its_error_or_the_log(session_factory, caplog):
    said = "Nguyễn Thị Hoa, 0912 345 678, kênh bị ô nhiễm"
    log = logging.getLogger("ketnoi.test")
    with pytest.raises(DBAPIError) as failed:
        async with session_factory() as session:
            await session.execute(text("INSERT INTO no_such_table (said) VALUES (:said)"), {"said": said})
    log.error("failed to handle an update", exc_info=failed.value)
    assert "no_such_table" in str(failed.value)  # the statement is still named, for the operator
    assert said not in str(failed.value) and said not in caplog.text
    assert "hidden due to hide_parameters" in str(failed.value)
