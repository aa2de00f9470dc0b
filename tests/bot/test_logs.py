"""LOG_FORMAT=json: one JSON object per line, secrets scrubbed (in the message, in a traceback,
and as they appear escaped inside a JSON string); the text format keeps scrubbing too."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import REDACTED, setup_logging, uninstall_redaction
from bot.settings import Settings

TOKEN = "424242:TEST-token-for-the-logs"
ZALO_TOKEN = '1459232241454765289:a"quote\\and-backslash'


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    uninstall_redaction()


def log_everything() -> None:
    log = logging.getLogger("ketnoi.test")
    log.info("calling https://api.telegram.org/bot%s/getMe", TOKEN)
    log.warning("Zalo token %s, Đã gửi thông báo", ZALO_TOKEN)
    try:
        raise RuntimeError(f"failed at /bot{TOKEN}/sendMessage")
    except RuntimeError:
        log.exception("sending failed")


def test_json_lines_parse_and_carry_no_secret(capsys, restore_logging):
    settings = Settings(_env_file=None, telegram_bot_token=TOKEN, zalo_bot_token=ZALO_TOKEN, log_format="json")
    setup_logging(settings.log_level, settings.secrets(), settings.log_format)
    log_everything()
    err = capsys.readouterr().err
    lines = [json.loads(line) for line in err.splitlines()]
    assert [line["level"] for line in lines] == ["INFO", "WARNING", "ERROR"]
    assert {"time", "level", "logger", "message"} <= lines[0].keys() and lines[0]["logger"] == "ketnoi.test"
    assert lines[0]["message"] == f"calling https://api.telegram.org/bot{REDACTED}/getMe"
    assert lines[1]["message"] == f"Zalo token {REDACTED}, Đã gửi thông báo"  # Vietnamese as it is
    assert "RuntimeError" in lines[2]["exc_info"] and REDACTED in lines[2]["exc_info"]
    assert "TEST-token" not in err and "quote" not in err and "backslash" not in err


def test_text_lines_carry_no_secret_either(capsys, restore_logging):
    setup_logging("INFO", [TOKEN, ZALO_TOKEN], "text")
    log_everything()
    err = capsys.readouterr().err
    assert err.count(REDACTED) == 3 and "TEST-token" not in err and "quote" not in err
    assert not err.lstrip().startswith("{")


def test_log_format_is_text_or_json():
    assert Settings(_env_file=None).log_format == "text"
    with pytest.raises(ValueError, match="log_format"):
        Settings(_env_file=None, log_format="xml")
