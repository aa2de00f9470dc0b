"""The demo page in a real browser, at a phone's size and a laptop's: what a person trying it notices.

Playwright drives Debian's `chromium` package (`.ci/run` installs it; browsers are never downloaded).
The demo runs in-process on a free port, on the test database (SQLite, or PostgreSQL with
KETNOI_TEST_DB=postgres). Every wait is on the page (Playwright's expect / wait_for_selector).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.clock import utc_now
from bot.demo import start_demo
from bot.emulator.telegram import TelegramEmulator
from bot.services.people import invites, units
from bot.settings import Settings
from tests.browser import LAPTOP, PHONE, WAIT_MS, chromium
from tests.integration.conftest import free_port

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

# Text of the page's own chrome (not what the bot wrote) in characters from U+2000 on: emoji and
# symbols that need an emoji or CJK font, which many Android phones and Linux desktops lack.
CHROME_SYMBOLS = """() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode());) {
    if (node.parentElement.closest(".text, script, style")) continue;
    for (const ch of node.textContent) if (ch.codePointAt(0) >= 0x2000 && !"…–—".includes(ch)) found.push(ch);
  }
  return found;
}"""
# Whether an element is entirely inside the window, and the transcript's last message inside the
# transcript's visible part.
IN_WINDOW = """(selector) => {
  const r = document.querySelector(selector).getBoundingClientRect();
  return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth;
}"""
SCROLLED_TO_END = "(c => c.scrollTop + c.clientHeight >= c.scrollHeight - 1)(document.getElementById('chat'))"
LAST_MESSAGE_IN_VIEW = """() => {
  const chat = document.getElementById("chat").getBoundingClientRect();
  const last = [...document.querySelectorAll("#chat .msg")].pop().getBoundingClientRect();
  return last.bottom <= chat.bottom + 1 && last.bottom <= window.innerHeight && last.top < chat.bottom;
}"""


@dataclass
class Demo:
    url: str
    app: object
    emulator: TelegramEmulator


@pytest.fixture
async def demo(db_url: str, tmp_path: Path) -> AsyncIterator[Demo]:
    port = free_port()
    settings = Settings(_env_file=None, database_url=db_url, web_port=port, zalo_state_dir=tmp_path / "zalo")
    app, emulator = await start_demo(settings)
    try:
        yield Demo(f"http://127.0.0.1:{port}/", app, emulator)
    finally:
        await app.stop()
        await emulator.stop()


@pytest.fixture
async def browser():
    async with chromium() as launched:
        yield launched


async def open_page(browser, demo: Demo, viewport: dict[str, int], platform: str = "telegram"):
    page = await browser.new_page(viewport=viewport)
    await page.goto(f"{demo.url}?platform={platform}")
    await page.wait_for_selector("#personas li.active", timeout=WAIT_MS)
    return page


async def send(page, text: str) -> None:
    await page.fill("#text", text)
    await page.press("#text", "Enter")


async def bot_says(page, words: str) -> None:
    """Wait until the bot's latest message contains `words`."""
    await expect(page.locator("#chat .msg.bot").last).to_contain_text(words, timeout=WAIT_MS)


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
async def test_the_composer_stays_in_view_and_the_chat_opens_at_the_latest_message(demo, browser, viewport):
    page = await open_page(browser, demo, viewport)
    await send(page, "/trogiup")  # the longest answer there is: taller than a phone's screen
    await bot_says(page, "/huy (/cancel)")

    assert await page.evaluate(IN_WINDOW, "#composer"), "the composer is pushed off the screen"
    assert await page.evaluate(IN_WINDOW, "#menu-button")
    assert await page.evaluate(LAST_MESSAGE_IN_VIEW), "the bot's answer is below the screen"
    await page.screenshot(path=Path("/tmp") / f"ketnoi-demo-{viewport['width']}x{viewport['height']}.png")

    await page.reload()  # opening the chat again shows its end, not its beginning
    await bot_says(page, "/huy (/cancel)")
    assert await page.evaluate(SCROLLED_TO_END)
    assert await page.evaluate(LAST_MESSAGE_IN_VIEW)
    assert await page.evaluate(IN_WINDOW, "#composer")

    # The on-screen keyboard takes the lower part of the window: the composer and the latest
    # message move up with it.
    await page.set_viewport_size({"width": viewport["width"], "height": viewport["height"] - 340})
    await page.wait_for_function(LAST_MESSAGE_IN_VIEW, timeout=WAIT_MS)
    assert await page.evaluate(IN_WINDOW, "#composer")


async def test_the_menu_lists_the_chats_commands_and_a_tap_sends_one(demo, browser):
    page = await open_page(browser, demo, PHONE)  # Nguyễn Văn An, province admin
    await page.click("#menu-button")
    items = page.locator("#menu .cmd b")
    await expect(items.first).to_be_visible(timeout=WAIT_MS)
    listed = await items.all_inner_texts()
    assert listed == ["/" + c["command"] for c in demo.emulator.menu_shown(9001)]
    assert "/moi" in listed and "/hannop" in listed

    await page.locator("#menu .cmd", has_text="/hannop").click()
    await expect(page.locator("#menu")).to_be_hidden()
    await expect(page.locator("#chat .msg.me").last).to_have_text(re.compile(r"^/hannop"), timeout=WAIT_MS)
    await expect(page.locator("#chat .msg").last).to_have_class(re.compile(r"\bbot\b"), timeout=WAIT_MS)
    assert await page.evaluate(LAST_MESSAGE_IN_VIEW)

    await page.click("#personas li[title='Phạm Thị Dung']")  # a member: a member's menu
    await page.click("#menu-button")
    await expect(page.locator("#menu .cmd b").first).to_be_visible(timeout=WAIT_MS)
    member = await page.locator("#menu .cmd b").all_inner_texts()
    assert "/phananh" in member and "/moi" not in member and "/hannop" not in member


@pytest.mark.parametrize("platform", ["telegram", "zalo"])
async def test_the_sidebar_shows_a_new_persons_registration_as_it_happens(demo, browser, platform):
    async with demo.app.session_factory() as session, session.begin():
        commune = await units.get_unit_by_code(session, "29641")
        (code,) = await invites.create_invites(session, actor=None, unit=commune, role="member", now=utc_now(),
                                               ttl=timedelta(days=1))
    page = await open_page(browser, demo, PHONE, platform)
    await page.click("summary")
    await page.fill("#new-name", "Phan Văn Minh")
    await page.click("#new-user button")
    newcomer = page.locator("#personas li[title='Phan Văn Minh']")
    await expect(newcomer).to_have_class("active", timeout=WAIT_MS)
    await expect(newcomer).to_contain_text("Chưa đăng ký")

    await send(page, f"/start {code}")
    await bot_says(page, "Đồng ý")
    if platform == "telegram":
        await page.locator("#chat .msg.bot").last.get_by_role("button", name="Đồng ý", exact=True).click()
    else:
        await send(page, "1")
    await bot_says(page, "họ và tên")
    await send(page, "Phan Văn Minh")

    await expect(newcomer).to_contain_text("Hội viên, đoàn viên · Xã Cái Nhum", timeout=WAIT_MS)
    await expect(page.locator("#subtitle")).to_contain_text("Hội viên, đoàn viên · Xã Cái Nhum")


@pytest.mark.parametrize("platform", ["telegram", "zalo"])
async def test_an_admin_persona_opens_the_web_console_from_the_chat(demo, browser, platform):
    page = await open_page(browser, demo, LAPTOP, platform)  # Nguyễn Văn An, province admin
    await page.click("#console-button")  # sends /quanly as the persona, as typing it would
    await bot_says(page, "Trang quản lý Kết Nối")
    link = page.locator("#chat .msg.bot").last.locator("a[href*='/quanly/vao']")
    async with page.context.expect_page() as opened:
        await link.click()
    console = await opened.value
    await expect(console.get_by_role("heading", name="Tổng quan")).to_be_visible(timeout=WAIT_MS)
    await expect(console.locator(".who .name")).to_have_text("Nguyễn Văn An")

    await page.click("#personas li[title='Phạm Thị Dung']")  # a member: no console for them
    await expect(page.locator("#console-button")).to_be_hidden()


async def test_icons_are_drawn_not_emoji(demo, browser):
    page = await open_page(browser, demo, PHONE, "zalo")  # Zalo's composer has the photo and sticker buttons
    await expect(page.locator("#sticker")).to_be_visible()
    await expect(page.locator("#menu-button")).to_be_hidden()  # Zalo has no command menu
    await page.click("#sticker")
    await expect(page.locator("#chat .msg.me .sticker svg")).to_be_visible(timeout=WAIT_MS)
    await bot_says(page, "chỉ đọc được tin nhắn chữ")

    for icon in ("#photo svg", "#sticker svg", "summary svg", "#menu-button svg"):
        assert await page.locator(icon).count() == 1, icon
    assert await page.evaluate(CHROME_SYMBOLS) == []
