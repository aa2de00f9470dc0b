"""Playwright driving Debian's `chromium` package, for the tests of our web pages.

`.ci/run` installs chromium when it is missing; browsers are never downloaded. A test that
needs the browser is skipped only where no Chromium can be had (CI always has it).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("KETNOI_CHROMIUM", "/usr/bin/chromium"))
HAVE_CHROMIUM = CHROMIUM.exists()
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
WAIT_MS = 30_000  # generous: two cores shared by several test runs
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}


@asynccontextmanager
async def chromium() -> AsyncIterator[object]:
    """A headless Debian Chromium, closed afterwards; skips the test when there is none."""
    playwright_api = pytest.importorskip("playwright.async_api")
    if not HAVE_CHROMIUM:
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()
