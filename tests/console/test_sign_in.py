"""Signing in to the console from the chat: one-time links, sessions, CSRF, roles (issue #13)."""

from __future__ import annotations

import aiohttp
from sqlalchemy import select

from storage.models import AuditEntry
from tests.browser import PHONE, WAIT_MS
from tests.console.conftest import expect, link_from_chat, sign_in
from tests.integration.conftest import ADMIN_ID, register


async def _audited(session_factory) -> list[str]:
    async with session_factory() as session:
        return list((await session.execute(select(AuditEntry.action).order_by(AuditEntry.id))).scalars())


async def test_an_admin_signs_in_from_the_chat_once_per_link(browser, admin, app, session_factory, platform):
    link = await link_from_chat(admin)
    assert link.startswith(app.public_url)

    page = await browser.new_page()
    await page.goto(link)
    await expect(page.get_by_role("heading", name="Tổng quan")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator(".who .name")).to_have_text("Nguyễn Văn An")

    again = await browser.new_page()  # the same link, another browser: already spent
    await again.goto(link)
    await expect(again.get_by_role("heading", name="Liên kết không dùng được")).to_be_visible(timeout=WAIT_MS)
    await again.goto(link.split("/vao")[0] + "/")
    await expect(again.get_by_role("heading", name="Bạn chưa đăng nhập")).to_be_visible(timeout=WAIT_MS)

    assert {"console.link", "console.sign_in", "console.link_refused"} <= set(await _audited(session_factory))


async def test_a_link_preview_does_not_spend_the_link(browser, admin, app):
    """Telegram fetches every link in a message for its preview: a GET must leave it usable."""
    link = await link_from_chat(admin)
    async with aiohttp.ClientSession() as http, http.get(link) as response:
        assert response.status == 200
        assert "Vào trang quản lý" in await response.text()
    page = await sign_in_with(browser, link)
    await expect(page.get_by_role("heading", name="Tổng quan")).to_be_visible(timeout=WAIT_MS)


async def sign_in_with(browser, link: str):
    page = await browser.new_page()
    await page.goto(link)
    return page


async def test_a_link_expires_after_ten_minutes(browser, admin, app, clock):
    link = await link_from_chat(admin)
    clock.advance(minutes=10, seconds=1)
    page = await sign_in_with(browser, link)
    await expect(page.get_by_role("heading", name="Liên kết không dùng được")).to_be_visible(timeout=WAIT_MS)
    await expect(page.get_by_text("/quanly")).to_be_visible()


async def test_an_idle_session_ends_and_sign_out_ends_it_at_once(browser, admin, app, clock):
    page = await sign_in(browser, admin)
    clock.advance(minutes=29)
    await page.reload()
    await expect(page.get_by_role("heading", name="Tổng quan")).to_be_visible(timeout=WAIT_MS)
    clock.advance(minutes=31)
    await page.reload()
    await expect(page.get_by_role("heading", name="Bạn chưa đăng nhập")).to_be_visible(timeout=WAIT_MS)

    page = await sign_in(browser, admin)
    await page.get_by_role("button", name="Đăng xuất").click()
    await expect(page.get_by_role("heading", name="Bạn chưa đăng nhập")).to_be_visible(timeout=WAIT_MS)
    await page.goto(page.url.replace("/dang-nhap", "/"))
    await expect(page.get_by_role("heading", name="Bạn chưa đăng nhập")).to_be_visible(timeout=WAIT_MS)


async def test_the_cookie_is_http_only_and_pages_forbid_framing(browser, admin, app):
    page = await sign_in(browser, admin)
    [cookie] = [c for c in await page.context.cookies() if c["name"] == "ketnoi_phien"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/quanly"
    assert not cookie["secure"]  # plain http here; behind https (PUBLIC_BASE_URL) it is Secure
    response = await page.reload()
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"


async def test_a_change_without_the_csrf_token_is_refused(browser, admin, app):
    page = await sign_in(browser, admin)
    base = page.url.rstrip("/")
    forged = await page.evaluate(
        """url => fetch(url, {method: "POST", body: new URLSearchParams({x: "1"})}).then(r => r.status)""",
        f"{base}/thoat",
    )
    assert forged == 403
    await page.reload()  # still signed in: the forged sign-out did nothing
    await expect(page.get_by_role("heading", name="Tổng quan")).to_be_visible(timeout=WAIT_MS)


async def test_the_console_is_for_admins_only(harness, app, session_factory, clock):
    await register(session_factory, clock, platform=harness.platform, n=2001, name="Trần Thị Bình",
                   unit_code="29641", role="officer")
    officer = harness.person(2001, "Trần Thị Bình")
    replies = await officer.say("/quanly")
    text = officer.text(replies)
    assert "/quanly" in text and "quản trị viên" in text and "http" not in text


async def test_the_first_page_fits_a_phone(browser, admin, app):
    page = await sign_in(browser, admin, PHONE)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"
    await page.screenshot(path="/tmp/ketnoi-console-phone.png", full_page=True)


async def test_behind_https_the_cookie_is_secure(start_app, seeded, harness):
    """With PUBLIC_BASE_URL on https the link uses it and the session cookie is `Secure`."""
    app = await start_app(public_base_url="https://ketnoi.example.vn")
    link = await link_from_chat(harness.person(ADMIN_ID))
    assert link.startswith("https://ketnoi.example.vn/quanly/vao?ma=")
    token = link.split("ma=", 1)[1]
    async with aiohttp.ClientSession() as http, http.post(
        f"http://127.0.0.1:{app.settings.web_port}/quanly/vao", data={"ma": token}, allow_redirects=False
    ) as response:
        assert response.status == 303
        cookie = response.cookies["ketnoi_phien"]
        assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
