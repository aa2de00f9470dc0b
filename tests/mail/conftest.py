"""The mail tests' SMTP server (STARTTLS and login), started and stopped around each test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.mail.smtp_server import SmtpServer


@pytest.fixture
async def smtp(tmp_path: Path) -> AsyncIterator[SmtpServer]:
    server = await SmtpServer(tmp_path).start()
    yield server
    await server.stop()
