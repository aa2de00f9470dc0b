"""Forged or stale button data, pressed through the dispatcher on a real database.

Button data comes back from the person's app, so a modified client (or a message from an older
version) can send anything. Whatever it sends, the person gets a plain answer, never the apology
for an internal error; the conversation stays on its step; the log has a warning, no traceback.
"""

from __future__ import annotations

import logging

import pytest

from bot.core.buttons import MAX_ID, StaleButton, button_data, parse
from handlers import texts

STALE = texts.ERRORS["stale_button"]
INTERNAL = texts.ERRORS["internal"]

FORGED = [
    "rv:ok:abc",  # not a number
    "rv:ok:",  # no id
    "rv:ok:-1",  # a sign
    "rv:ok:+1",
    "rv:ok: 1",
    "rv:ok:1.0",
    "rv:ok:1e3",
    "rv:ok:007",  # not as we write ids
    "rv:ok:０１２",  # full-width digits, which int() would read
    "rv:ok:٣",  # Arabic-Indic digit
    f"rv:ok:{MAX_ID + 1}",  # beyond PostgreSQL INTEGER
    f"rv:ok:{2**63}",  # beyond BIGINT
    "rv:ok:99999999999999999999999999999999999999",
    "rv:ok:" + "9" * 5000,
    "rv:ok:1-2",  # one id too many
    "rv:ok:1:2",
    "rv:back:x",
    "bc:ok:abc",
    "bc:later:99999999999",
    "bc:no:",
    "fb:urgent:0x10",
    "ui:ack:2147483648",
    "ui:reply:NaN",
    "ui:done:1;DROP TABLE reports",
    "pv:vote:1",  # the option is missing
    "pv:vote:99999999999-0",
    "pv:vote:1-99999999999",
    "pv:vote:1-2-3",
    "zz:yy:1",  # unknown prefix
    "RV:OK:1",
    "rv::1",
    ":::",
    "cmd:run:",  # a command button without a command
    "cmd:run:   ",
    "cmd:run:/help",
    "cmd:run:\x00",
]


def _warnings_and_errors(caplog) -> tuple[list[logging.LogRecord], list[logging.LogRecord]]:
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "handlers.dispatch"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    return warnings, errors


@pytest.mark.parametrize("data", FORGED, ids=[repr(d[:30]) for d in FORGED])
async def test_forged_button_data_gets_a_plain_answer_and_a_warning(admin, caplog, data):
    caplog.set_level(logging.INFO)
    replies = await admin.send(choice=data)
    assert [r.text for r in replies] == [STALE]
    warnings, errors = _warnings_and_errors(caplog)
    assert errors == []
    assert len(warnings) == 1 and warnings[0].exc_info is None and warnings[0].exc_text is None
    assert "button data" in warnings[0].getMessage()


async def test_the_conversation_stays_on_its_step(admin, caplog):
    caplog.set_level(logging.INFO)
    question = (await admin.send("/moi"))[0]
    replies = await admin.send(choice="rv:ok:" + "9" * 40)
    assert len(replies) == 1 and replies[0].text.startswith(STALE) and question.text in replies[0].text
    assert [c.label for c in replies[0].choices] == [c.label for c in question.choices]
    following = await admin.choose(texts.ROLE_NAMES["officer"])  # the answer the step waited for
    assert following[0].text == texts.INVITE["ask_unit"]
    assert _warnings_and_errors(caplog)[1] == []


async def test_an_option_nothing_waits_for_is_called_stale_without_a_warning(admin, caplog):
    caplog.set_level(logging.INFO)
    replies = await admin.send(choice="officer")  # the option of a question no longer asked
    assert [r.text for r in replies] == [STALE]
    assert _warnings_and_errors(caplog) == ([], [])


@pytest.mark.parametrize(("data", "answer"), [
    (button_data("rv:ok", MAX_ID), texts.ERRORS["report_gone"]),
    (button_data("pv:vote", MAX_ID, 0), texts.ERRORS["poll_gone"]),
    (button_data("ui:ack", MAX_ID), texts.ERRORS["not_allowed"]),
    (button_data("fb:urgent", 0), texts.ERRORS["not_allowed"]),
])
async def test_well_formed_data_for_something_gone_gets_its_own_answer(admin, data, answer):
    assert [r.text for r in await admin.send(choice=data)] == [answer]


@pytest.mark.parametrize(("data", "ids"), [("rv:ok:12", (12,)), ("pv:vote:7-0", (7, 0)), (f"ui:ack:{MAX_ID}", (MAX_ID,))])
def test_data_made_by_button_data_reads_back(data, ids):
    prefix = data.rpartition(":")[0]
    assert button_data(prefix, *ids) == data
    assert parse(data, {prefix: len(ids)}).ids == ids


def test_parse_refuses_an_unknown_prefix():
    with pytest.raises(StaleButton):
        parse("rv:ok:1", {"pv:vote": 2})
