"""Báo cáo in the web console (issue #13, page 2), in Chromium, with the chat on both platforms:
an officer sends the report through the chat, the province admin reviews it in the browser, and
the officer gets the result in the chat as if the admin had pressed the notice's button."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
from sqlalchemy import select

from storage.models import Report, Unit
from tests.browser import PHONE, WAIT_MS
from tests.console.conftest import expect, sign_in
from tests.integration.conftest import ADMIN_ID, register
from tests.integration.drivers import ChatPerson, submit_report

OFFICER, OTHER_ADMIN = 3003, 5005
NOV_10_0931 = datetime(2026, 11, 10, 2, 31, tzinfo=UTC)  # 09:31 in Vietnam: before the 18th


async def officer_of_cai_nhum(harness, session_factory, clock) -> ChatPerson:
    await register(session_factory, clock, platform=harness.platform, n=OFFICER, name="Trần Thị Bình",
                   unit_code="29641", role="officer")
    return harness.person(OFFICER, "Trần Thị Bình")


async def report_id(session_factory) -> int:
    async with session_factory() as session:
        return (await session.scalars(select(Report.id))).one()


async def open_waiting_report(page) -> None:
    """From the first page to the report waiting for review, as an admin clicks there."""
    await page.get_by_role("navigation", name="Các trang").get_by_role("link", name="Báo cáo").click()
    await expect(page.get_by_role("heading", name="Báo cáo", exact=True)).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("#waiting-count")).to_have_text("1")
    row = page.locator("#cho-duyet tbody tr")
    await expect(row).to_contain_text("Xã Cái Nhum")
    await expect(row).to_contain_text("Tháng 11/2026")
    await row.get_by_role("link", name="Xem và duyệt").click()
    await expect(page.get_by_role("heading", name="Báo cáo Tháng 11/2026 – Xã Cái Nhum")).to_be_visible(timeout=WAIT_MS)


async def test_an_admin_accepts_a_report_in_the_browser_and_the_officer_hears_it_in_chat(
    browser, admin, app, harness, session_factory, clock, platform
):
    clock.now = NOV_10_0931
    officer = await officer_of_cai_nhum(harness, session_factory, clock)
    await submit_report(officer)
    assert "Xã Cái Nhum đã gửi báo cáo Tháng 11/2026" in admin.new_messages()[-1]["text"]

    page = await sign_in(browser, admin)
    await open_waiting_report(page)
    answers = page.locator("#noi-dung")
    await expect(answers.locator("tr", has_text="Số buổi tuyên truyền")).to_contain_text("12")
    await expect(answers.locator("tr", has_text="Số lượt người dự")).to_contain_text("350")
    await expect(answers.locator("tr", has_text="Nội dung đã tuyên truyền")).to_contain_text(
        "Trọng tâm: Nghị quyết Đại hội XIII và đại hội các cấp")
    await expect(answers.locator("tr", has_text="Hình thức tuyên truyền")).to_contain_text(
        "Hội nghị, họp dân; Loa truyền thanh")
    await expect(answers.locator("tr", has_text="Khó khăn, vướng mắc, đề xuất")).to_contain_text("(bỏ qua)")
    await expect(page.locator("#thay-doi")).to_contain_text("lần gửi đầu tiên")
    await expect(page.locator("#report-state")).to_have_text("Đúng hạn")

    await page.get_by_role("button", name="Chấp nhận").click()
    await expect(page.locator(".flash")).to_have_text("Đã chấp nhận báo cáo Tháng 11/2026 của Xã Cái Nhum.",
                                                      timeout=WAIT_MS)
    await expect(page.locator("#waiting-count")).to_have_text("0")
    assert officer.text(officer.new_messages()).endswith(
        "Báo cáo Tháng 11/2026 của Xã Cái Nhum đã được cấp trên chấp nhận.")
    if platform == "telegram":  # the admin's own notice in the chat says it is done, buttons gone
        [notice] = [m for m in harness.telegram.messages(ADMIN_ID) if m["text"].startswith("Báo cáo Tháng 11/2026")]
        assert notice["text"] == "Báo cáo Tháng 11/2026 của Xã Cái Nhum\nĐã được Nguyễn Văn An chấp nhận lúc 09:31."
        assert notice["buttons"] == [] and notice["edited"]
    async with session_factory() as session:
        assert (await session.scalars(select(Report.status))).one() == "accepted"

    await page.goto(page.url.split("/quanly/")[0] + f"/quanly/bao-cao/{await report_id(session_factory)}")
    await expect(page.locator("#review-state")).to_have_text("đã được chấp nhận")
    await expect(page.get_by_role("button", name="Chấp nhận")).to_have_count(0)


async def test_a_returned_report_reaches_the_officer_with_its_reason_and_the_resubmission_shows_what_changed(
    browser, admin, app, harness, session_factory, clock, platform
):
    clock.now = NOV_10_0931
    officer = await officer_of_cai_nhum(harness, session_factory, clock)
    await submit_report(officer)
    page = await sign_in(browser, admin)
    await open_waiting_report(page)

    await page.get_by_label("Lý do trả lại").fill("Số lượt người dự chưa khớp với biên bản, đề nghị kiểm tra lại.")
    await page.get_by_role("button", name="Trả lại").click()
    await expect(page.locator(".flash")).to_have_text("Đã trả lại báo cáo Tháng 11/2026 của Xã Cái Nhum kèm lý do.",
                                                      timeout=WAIT_MS)
    told = officer.new_messages()[-1]
    assert "Báo cáo Tháng 11/2026 của Xã Cái Nhum đã bị cấp trên trả lại." in told["text"]
    assert "Lý do: Số lượt người dự chưa khớp với biên bản, đề nghị kiểm tra lại." in told["text"]
    assert told["options"] == ["Sửa báo cáo Tháng 11/2026"]  # a button on Telegram, "1." on Zalo

    await officer.choose("Sửa báo cáo Tháng 11/2026")
    await officer.choose("Sửa một mục")
    await officer.choose("2. Số lượt người dự")
    await officer.say("420")
    sent = await officer.choose("Gửi báo cáo")
    assert "Đã gửi báo cáo Tháng 11/2026" in sent[-1]["text"]

    await page.reload()
    await expect(page.locator("#waiting-count")).to_have_text("1")
    await page.locator("#cho-duyet").get_by_role("link", name="Xem và duyệt").click()
    changed = page.locator("#thay-doi tbody tr")
    await expect(changed).to_have_count(1)
    await expect(changed).to_contain_text("Số lượt người dự")
    await expect(changed.locator("td").nth(1)).to_have_text("350")
    await expect(changed.locator("td").nth(2)).to_have_text("420")


async def test_a_too_short_reason_is_refused_saying_how_long_it_must_be(browser, admin, app, harness,
                                                                          session_factory, clock):
    clock.now = NOV_10_0931
    officer = await officer_of_cai_nhum(harness, session_factory, clock)
    await submit_report(officer)
    page = await sign_in(browser, admin)
    await open_waiting_report(page)
    # The browser itself asks for 3 characters; a script sending fewer gets the chat's refusal.
    await page.locator("#reason").evaluate("field => { field.removeAttribute('minlength'); field.value = 'x'; }")
    await page.get_by_role("button", name="Trả lại").click()
    await expect(page.locator(".flash")).to_have_text("Nội dung quá ngắn: cần ít nhất 3 ký tự. Bạn vui lòng gõ lại.",
                                                      timeout=WAIT_MS)
    async with session_factory() as session:
        assert (await session.scalars(select(Report.status))).one() == "submitted"
    assert not [m for m in officer.new_messages() if "trả lại" in m["text"]]


async def test_the_admin_of_another_commune_is_refused_that_report(browser, app, harness, session_factory, clock):
    clock.now = NOV_10_0931
    officer = await officer_of_cai_nhum(harness, session_factory, clock)
    await submit_report(officer)
    await register(session_factory, clock, platform=harness.platform, n=OTHER_ADMIN, name="Võ Văn Em",
                   unit_code="29653", role="unit_admin")  # Xã Tân Long Hội
    page = await sign_in(browser, harness.person(OTHER_ADMIN, "Võ Văn Em"))
    base = page.url.split("/quanly/")[0] + "/quanly"
    number = await report_id(session_factory)

    response = await page.goto(f"{base}/bao-cao/{number}")
    assert response.status == 403
    await expect(page.get_by_role("heading", name="Không có quyền")).to_be_visible()
    for path in (f"/bao-cao/{number}/anh/0", "/bao-cao/don-vi/29641"):
        assert (await page.goto(base + path)).status == 403
    await page.goto(f"{base}/bao-cao")
    await expect(page.locator("#waiting-count")).to_have_text("0")
    csrf = await page.locator("input[name=csrf]").first.input_value()
    status = await page.evaluate(
        """([url, csrf]) => fetch(url, {method: "POST", body: new URLSearchParams({csrf})}).then(r => r.status)""",
        [f"{base}/bao-cao/{number}/chap-nhan", csrf],
    )
    assert status == 403
    async with session_factory() as session:
        assert (await session.scalars(select(Report.status))).one() == "submitted"


async def test_a_reports_photo_is_shown_from_the_platform_it_was_sent_on(
    browser, admin, app, harness, session_factory, clock, platform
):
    clock.now = NOV_10_0931
    officer = await officer_of_cai_nhum(harness, session_factory, clock)
    await submit_report(officer, photo=True)
    page = await sign_in(browser, admin, PHONE)
    await open_waiting_report(page)
    photo = page.locator("#noi-dung .photos img")
    await expect(photo).to_have_count(1)
    await photo.scroll_into_view_if_needed()
    await expect(photo).to_have_js_property("complete", True, timeout=WAIT_MS)
    assert await photo.evaluate("img => img.naturalWidth") > 0
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the report page is {width}px wide on a {PHONE['width']}px phone"
    await page.screenshot(path=f"/tmp/ketnoi-report-phone-{platform}.png", full_page=True)
    base = page.url.split("/quanly/")[0] + "/quanly"
    assert (await page.goto(f"{base}/bao-cao/{await report_id(session_factory)}/anh/1")).status == 404


async def test_a_units_history_lists_its_reports(browser, admin, app, harness, session_factory, clock):
    clock.now = NOV_10_0931
    officer = await officer_of_cai_nhum(harness, session_factory, clock)
    await submit_report(officer)
    page = await sign_in(browser, admin)
    await page.get_by_role("navigation", name="Các trang").get_by_role("link", name="Báo cáo").click()
    await page.get_by_label("Tên hoặc mã đơn vị").fill("cai nhum")
    await page.get_by_role("button", name="Tìm").click()
    await page.get_by_role("link", name="Xã Cái Nhum").click()
    await expect(page.get_by_role("heading", name="Lịch sử báo cáo – Xã Cái Nhum")).to_be_visible(timeout=WAIT_MS)
    row = page.locator("tbody tr")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("Tháng 11/2026")
    await expect(row).to_contain_text("chờ duyệt")
    await row.get_by_role("link", name="Xem").click()
    await expect(page.get_by_role("heading", name="Báo cáo Tháng 11/2026 – Xã Cái Nhum")).to_be_visible(timeout=WAIT_MS)


async def test_the_periods_excel_file_downloads_as_xuat_names_it(browser, admin, app, harness, session_factory,
                                                                 clock, tmp_path: Path):
    clock.now = NOV_10_0931
    officer = await officer_of_cai_nhum(harness, session_factory, clock)
    await submit_report(officer)
    page = await sign_in(browser, admin)
    await page.get_by_role("navigation", name="Các trang").get_by_role("link", name="Báo cáo").click()
    await page.get_by_label("Kỳ báo cáo").select_option(label="Tháng 11/2026")
    async with page.expect_download(timeout=WAIT_MS) as waiting:
        await page.get_by_role("button", name="Tải tệp Excel").click()
    download = await waiting.value
    assert download.suggested_filename == "bao-cao-86-2026-11.xlsx"
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)

    sheet = openpyxl.load_workbook(io.BytesIO(saved.read_bytes()), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "Báo cáo tháng 11-2026"
    assert rows[0][:4] == ("Mã đơn vị", "Đơn vị", "Trực thuộc", "Trạng thái")
    assert len(rows) == 1 + 124 + 1  # header, every commune, totals
    [cai_nhum] = [row for row in rows if row[0] == "29641"]
    assert cai_nhum[3] == "Đúng hạn" and 12 in cai_nhum and 350 in cai_nhum
    assert rows[-1][0] == "Tổng cộng"


async def _post(page, url: str, fields: dict[str, str]) -> int:
    """A form POSTed by a script in the signed-in page (its cookies, any fields): the status."""
    return await page.evaluate(
        """([url, fields]) => fetch(url, {method: "POST", body: new URLSearchParams(fields)}).then(r => r.status)""",
        [url, fields],
    )


async def _statuses(session_factory) -> dict[str, str]:
    async with session_factory() as session:
        rows = await session.execute(select(Unit.name, Report.status).join(Unit, Unit.id == Report.unit_id))
        return dict(rows.all())


async def test_a_district_admin_is_refused_the_report_of_a_commune_in_another_district(
    browser, tra_vinh, harness, session_factory, clock
):
    clock.now = NOV_10_0931
    officers = []
    for n, code in ((OFFICER, "29269"), (OFFICER + 1, "29236")):  # Xã Mỹ Cẩm (Càng Long), Phường 4 (the city)
        await register(session_factory, clock, platform=harness.platform, n=n, name=f"Cán bộ {n}",
                       unit_code=code, role="officer")
        officers.append(harness.person(n, f"Cán bộ {n}"))
        await submit_report(officers[-1])
        officers[-1].new_messages()
    async with session_factory() as session:
        ids = dict((await session.execute(select(Unit.code, Report.id).join(Unit, Unit.id == Report.unit_id))).all())
    page = await sign_in(browser, harness.person(6006, "Đỗ Thị Giang"))  # unit admin of Huyện Càng Long
    base = page.url.split("/quanly/")[0] + "/quanly"
    csrf = await page.locator("input[name=csrf]").first.input_value()

    assert (await page.goto(f"{base}/bao-cao/{ids['29236']}")).status == 403
    await page.goto(f"{base}/bao-cao")
    assert await _post(page, f"{base}/bao-cao/{ids['29236']}/chap-nhan", {"csrf": csrf}) == 403
    assert await _post(page, f"{base}/bao-cao/{ids['29236']}/tra-lai",
                       {"csrf": csrf, "reason": "Số liệu chưa khớp biên bản."}) == 403
    assert await _statuses(session_factory) == {"Xã Mỹ Cẩm": "submitted", "Phường 4": "submitted"}
    assert not officers[1].new_messages()

    # The same request on a report of their own district goes through: the refusal was the scope.
    assert await _post(page, f"{base}/bao-cao/{ids['29269']}/chap-nhan", {"csrf": csrf}) == 200
    assert await _statuses(session_factory) == {"Xã Mỹ Cẩm": "accepted", "Phường 4": "submitted"}


async def test_an_accept_or_return_without_its_csrf_token_is_refused(browser, admin, app, harness,
                                                                     session_factory, clock):
    clock.now = NOV_10_0931
    officer = await officer_of_cai_nhum(harness, session_factory, clock)
    await submit_report(officer)
    officer.new_messages()
    page = await sign_in(browser, admin)
    await open_waiting_report(page)
    base = page.url.split("/quanly/")[0] + "/quanly"
    number = await report_id(session_factory)
    csrf = await page.locator("input[name=csrf]").first.input_value()

    reason = "Số lượt người dự chưa khớp với biên bản."
    for fields in ({}, {"csrf": "x" * len(csrf)}):  # no token, a wrong one
        assert await _post(page, f"{base}/bao-cao/{number}/chap-nhan", fields) == 403
        assert await _post(page, f"{base}/bao-cao/{number}/tra-lai", {**fields, "reason": reason}) == 403
    async with session_factory() as session:
        assert (await session.scalars(select(Report.status))).one() == "submitted"
    assert not officer.new_messages()
    await page.reload()
    await expect(page.get_by_role("button", name="Chấp nhận")).to_be_visible()  # still waiting, still signed in

    assert await _post(page, f"{base}/bao-cao/{number}/chap-nhan", {"csrf": csrf}) == 200  # with it: done
    async with session_factory() as session:
        assert (await session.scalars(select(Report.status))).one() == "accepted"
