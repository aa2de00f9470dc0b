"""The web console in a real browser, signed in the way a person does it: /quanly in the chat
(Telegram or Zalo emulator), the link from the bot's reply opened in Debian's Chromium.

The whole app runs as in the end-to-end tests (`tests.integration.conftest`, whose fixtures
are used here), on the test's database and its fake clock.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from bot.app import KetNoiApp
from bot.services.people.units import import_units, rows_from_csv
from tests.browser import LAPTOP, WAIT_MS, chromium
from tests.conftest import TRA_VINH_CSV
from tests.integration.conftest import (  # noqa: F401  (fixtures)
    ADMIN_ID,
    clock,
    emulator,
    harness,
    make_settings,
    platform,
    register,
    seeded,
    start_app,
    zalo_emulator,
)
from tests.integration.drivers import ChatPerson
from tests.services.reporting.test_rollup import units_below

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect
LINK = re.compile(r"https?://\S+/quanly/vao\?ma=[\w-]+")


@pytest.fixture
async def browser():
    async with chromium() as launched:
        yield launched


@pytest.fixture
async def app(start_app, seeded) -> KetNoiApp:  # noqa: F811  (fixtures imported above)
    """KetNoi on both platforms, Vĩnh Long's units, and its province admin (person ADMIN_ID)."""
    return await start_app()


@pytest.fixture
def admin(harness, app) -> ChatPerson:  # noqa: F811
    return harness.person(ADMIN_ID)


async def link_from_chat(person: ChatPerson) -> str:
    """What a person gets for /quanly: the sign-in link in the bot's reply."""
    replies = await person.say("/quanly")
    found = LINK.search(ChatPerson.text(replies))
    assert found, f"no console link in {ChatPerson.text(replies)!r}"
    return found.group(0)


async def sign_in(browser, person: ChatPerson, viewport: dict[str, int] = LAPTOP):
    """A new browser window signed in as `person`, on the console's first page."""
    page = await browser.new_page(viewport=viewport)
    await page.goto(await link_from_chat(person))
    await expect(page.get_by_role("heading", name="Tổng quan")).to_be_visible(timeout=WAIT_MS)
    return page


@pytest.fixture
async def tra_vinh(start_app, session_factory, clock, harness):  # noqa: F811
    """Trà Vinh as it was in 2022 (province, districts, communes), its province admin, and a
    unit admin of one district (Huyện Càng Long)."""
    async with session_factory() as session, session.begin():
        await import_units(session, rows_from_csv(TRA_VINH_CSV), now=clock())
    await register(session_factory, clock, platform=harness.platform, n=ADMIN_ID, name="Nguyễn Văn An",
                   unit_code="84", role="province_admin")
    async with session_factory() as session:
        district = next(unit for unit in await units_below(session, "84") if unit.name == "Huyện Càng Long")
    await register(session_factory, clock, platform=harness.platform, n=6006, name="Đỗ Thị Giang",
                   unit_code=district.code, role="unit_admin")
    return await start_app()


@pytest.fixture
async def admin_page(browser, admin) -> AsyncIterator[object]:
    """The province admin's signed-in console, at a laptop's size."""
    page = await sign_in(browser, admin)
    yield page
    await page.close()
