"""Logging set-up that never writes a secret (bot tokens, webhook secrets) anywhere.

Scrubbing happens when a record is created, so every handler (ours, pytest's, an operator's)
sees the redacted text; our own formatters also scrub formatted tracebacks. `LOG_FORMAT=json`
writes one JSON object per line (python-json-logger) for a log collector, scrubbed the same way.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

from pythonjsonlogger.json import JsonFormatter

REDACTED = "«redacted»"


class SecretScrubber:
    """Replaces each known secret with a marker in a piece of text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        # As a secret appears inside a JSON string too (a Zalo token may hold a quote or a backslash).
        escaped = {json.dumps(s, ensure_ascii=False)[1:-1] for s in self.secrets}
        self._forms = sorted(set(self.secrets) | escaped, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._forms:
            text = text.replace(secret, REDACTED)
        return text


class ScrubbingFormatter(logging.Formatter):
    def __init__(self, scrub: SecretScrubber, fmt: str) -> None:
        super().__init__(fmt)
        self.scrub = scrub

    def format(self, record: logging.LogRecord) -> str:
        return self.scrub(super().format(record))


class ScrubbingJsonFormatter(JsonFormatter):
    """One JSON object per line: time, level, logger, message (and the traceback), scrubbed."""

    def __init__(self, scrub: SecretScrubber) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )
        self.scrub = scrub

    def format(self, record: logging.LogRecord) -> str:
        return self.scrub(super().format(record))


class RedactingRecordFactory:
    """Wraps the record factory: a record's message is rendered and scrubbed at creation."""

    def __init__(self, previous, scrub: SecretScrubber) -> None:
        self.previous = previous
        self.scrub = scrub

    def __call__(self, *args, **kwargs) -> logging.LogRecord:
        record = self.previous(*args, **kwargs)
        if self.scrub.secrets:
            try:
                message = record.getMessage()
            except (TypeError, ValueError):
                return record
            cleaned = self.scrub(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return record


def install_redaction(secrets: Iterable[str]) -> RedactingRecordFactory:
    """Scrub these secrets from every log record from now on; returns the factory installed."""
    current = logging.getLogRecordFactory()
    base = current.previous if isinstance(current, RedactingRecordFactory) else current
    factory = RedactingRecordFactory(base, SecretScrubber(secrets))
    logging.setLogRecordFactory(factory)
    return factory


def uninstall_redaction() -> None:
    current = logging.getLogRecordFactory()
    if isinstance(current, RedactingRecordFactory):
        logging.setLogRecordFactory(current.previous)


def setup_logging(level: str, secrets: Iterable[str], fmt: str = "text") -> None:
    """Console logging for `run` and `demo`, as text or (`fmt="json"`) JSON lines; quiet the HTTP
    client, which logs request URLs."""
    scrub = SecretScrubber(secrets)
    install_redaction(scrub.secrets)
    handler = logging.StreamHandler()
    handler.setFormatter(
        ScrubbingJsonFormatter(scrub)
        if fmt == "json"
        else ScrubbingFormatter(scrub, "%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_noisy_loggers()


NOISY = ("httpx", "httpcore", "aiohttp.access", "aiosqlite", "sqlalchemy.engine", "telegram.ext.ExtBot")


def quiet_noisy_loggers() -> None:
    """Libraries that log request URLs or SQL parameters (which hold chat ids) stay at WARNING,
    whatever LOG_LEVEL is: personal data must not end up in logs, not even in debug logs."""
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
