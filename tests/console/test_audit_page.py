"""Nhật ký in the console: the sign-in and the answer of a feedback item are there in words,
filters by action, person, unit and date work, and a unit admin sees only their subtree's
entries (issue #13)."""

from __future__ import annotations

from datetime import timedelta

from tests.browser import PHONE, WAIT_MS
from tests.console.conftest import expect, sign_in
from tests.console.test_listening_page import accept_dialogs, send_feedback
from tests.integration.conftest import register

MEMBER, UNIT_ADMIN, HERE, THERE = 6001, 6002, 6003, 6004


async def test_the_log_shows_the_sign_in_and_the_answer_and_filters_by_action_and_person(
    browser, admin, app, harness, session_factory, clock, platform
):
    await register(session_factory, clock, platform=platform, n=MEMBER, name="Lê Văn Tư", unit_code="29641",
                   role="member")
    reference = await send_feedback(harness.person(MEMBER, "Lê Văn Tư"), "Cống thoát nước bị tắc.")
    page = await sign_in(browser, admin)
    accept_dialogs(page)
    base = page.url
    await page.goto(base + f"phan-anh?tim={reference}")
    await page.get_by_role("link", name=reference).click()
    await page.get_by_label("Nội dung trả lời").fill("Xã đã cho nạo vét cống.")
    await page.get_by_role("button", name="Gửi trả lời").click()
    await expect(page.get_by_role("status")).to_contain_text("Đã gửi câu trả lời", timeout=WAIT_MS)

    await page.get_by_role("link", name="Nhật ký").click()
    await expect(page.get_by_role("heading", name="Nhật ký")).to_be_visible(timeout=WAIT_MS)
    rows = page.locator("table.log tbody tr")
    answer = rows.filter(has_text="Trả lời phản ánh")
    await expect(answer).to_contain_text("Nguyễn Văn An")
    await expect(answer).to_contain_text(f"Phản ánh {reference} – Xã Cái Nhum")
    await expect(rows.filter(has_text="Đăng nhập").first).to_contain_text("Nguyễn Văn An")
    await expect(rows.filter(has_text="Đăng ký").filter(has_text="Lê Văn Tư").first).to_be_visible()

    await page.get_by_label("Việc").select_option(label="Trả lời phản ánh")
    await page.get_by_role("button", name="Lọc").click()
    await expect(rows).to_have_count(1, timeout=WAIT_MS)
    await expect(rows.first).to_contain_text(reference)

    await page.goto(base + "nhat-ky")
    await rows.filter(has_text="Đăng ký").filter(has_text="Lê Văn Tư").first.get_by_role("link",
                                                                                        name="Lê Văn Tư").click()
    await expect(page.get_by_text("Chỉ việc của Lê Văn Tư")).to_be_visible(timeout=WAIT_MS)
    await expect(rows.filter(has_text="Nguyễn Văn An")).to_have_count(0)
    await expect(rows.filter(has_text="Đăng ký")).to_have_count(1)

    await page.goto(base + "nhat-ky?ten=van an")  # part of a name, without accents
    await expect(rows.filter(has_text="Đăng nhập").first).to_be_visible(timeout=WAIT_MS)
    await expect(rows.filter(has_text="Lê Văn Tư")).to_have_count(0)

    tomorrow = (clock() + timedelta(hours=7, days=1)).date()
    await page.goto(base + f"nhat-ky?tu={tomorrow}")
    await expect(page.get_by_text("Không có mục nào khớp bộ lọc.")).to_be_visible(timeout=WAIT_MS)


async def test_a_unit_admin_sees_the_entries_of_their_subtree_only(browser, app, harness, session_factory, clock):
    await register(session_factory, clock, platform=harness.platform, n=UNIT_ADMIN, name="Phạm Văn Cường",
                   unit_code="29623", role="unit_admin")
    await register(session_factory, clock, platform=harness.platform, n=HERE, name="Hồ Thị Gần", unit_code="29623",
                   role="officer")
    await register(session_factory, clock, platform=harness.platform, n=THERE, name="Mai Văn Xa", unit_code="29641",
                   role="officer")
    page = await sign_in(browser, harness.person(UNIT_ADMIN, "Phạm Văn Cường"))
    await page.goto(page.url + "nhat-ky")
    rows = page.locator("table.log tbody tr")
    await expect(rows.filter(has_text="Hồ Thị Gần").first).to_be_visible(timeout=WAIT_MS)
    await expect(rows.filter(has_text="Được cấp vai trò").filter(has_text="Xã Nhơn Phú").first).to_be_visible()
    await expect(rows.filter(has_text="Mai Văn Xa")).to_have_count(0)
    await expect(rows.filter(has_text="Nguyễn Văn An")).to_have_count(0)  # the province admin's own sign-in
    await expect(page.get_by_label("Đơn vị").locator("option")).to_have_count(2)  # "Tất cả" and their commune


async def test_the_log_fits_a_phone(browser, admin, app):
    page = await sign_in(browser, admin, PHONE)
    await page.goto(page.url + "nhat-ky")
    await expect(page.locator("table.log tbody tr").first).to_be_visible(timeout=WAIT_MS)
    width = await page.evaluate("document.documentElement.scrollWidth")
    await page.screenshot(path="/tmp/ketnoi-audit-phone.png", full_page=True)
    assert width <= PHONE["width"], f"the log is {width}px wide on a {PHONE['width']}px phone"
