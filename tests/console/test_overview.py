"""Tổng quan in the web console (issue #13, page 1), in Chromium: the period's rates and counts,
every unit below with its state (filter, search, sort, pages), the trend, urgent issues and the
week's feedback, on a laptop and at 390 px."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from bot.core.periods import Period
from bot.services.people.units import get_unit_by_code
from storage.models import Feedback, Observation, ReportStatus, UrgentIssue
from tests.browser import PHONE
from tests.console.conftest import expect, sign_in
from tests.integration.conftest import ADMIN_ID
from tests.services.reporting.test_rollup import make_report, units_below

NOVEMBER, OCTOBER = Period.parse("2026-11"), Period.parse("2026-10")
# By position among Vĩnh Long's 124 communes (path order): what each first unit has sent for November.
PLAN = (
    [(ReportStatus.SUBMITTED, False)] * 5 + [(ReportStatus.ACCEPTED, False)] * 2  # 7 on time
    + [(ReportStatus.SUBMITTED, True)] * 3  # 3 late
    + [(ReportStatus.RETURNED, False)] + [(ReportStatus.DRAFT, False)] * 2  # 1 returned, 2 drafts
)  # the other 111 communes sent nothing


async def seed_situation(session_factory, now: datetime, code: str = "86") -> list[str]:
    """November by PLAN, October sent by half of the units; two urgent issues, one resolved;
    this week's feedback and an observation, and older feedback that no longer counts."""
    async with session_factory() as session:
        below = await units_below(session, code)
        for unit, (status, late) in zip(below, PLAN, strict=False):
            session.add(make_report(unit, status, late, {"sessions": 2, "attendance": 100}, now, period=NOVEMBER))
        for unit in below[: len(below) // 2]:
            session.add(make_report(unit, ReportStatus.ACCEPTED, False, {"sessions": 1}, now, period=OCTOBER))
        first, second = below[0], below[1]
        session.add(UrgentIssue(reference="KC-2511-AAAA", unit_id=first.id, category="datdai", status="open",
                                text="Sạt lở bờ kênh đe dọa 5 hộ dân.", created_at=now - timedelta(hours=3)))
        session.add(UrgentIssue(reference="KC-2411-BBBB", unit_id=second.id, category="yte", status="resolved",
                                text="Đã xử lý xong.", created_at=now - timedelta(days=2)))
        for days, category, tone in ((1, "datdai", "negative"), (2, "datdai", "negative"), (3, "datdai", None),
                                     (1, "yte", "positive"), (9, "giaca", "negative")):
            session.add(Feedback(reference=f"PA-{days}{category}"[:20], unit_id=first.id, category=category,
                                 tone=tone, text="…", created_at=now - timedelta(days=days)))
        session.add(Observation(unit_id=second.id, category="moitruong", tone="neutral", text="…", people_count=10,
                                created_at=now - timedelta(days=2)))
        await session.commit()
        return [unit.name for unit in below]


async def test_the_overview_shows_the_periods_rates_counts_trend_issues_and_feedback(
    browser, admin, app, session_factory, clock
):
    await seed_situation(session_factory, clock())
    page = await sign_in(browser, admin)

    await expect(page.get_by_text("Tỉnh Vĩnh Long · Kỳ báo cáo Tháng 11/2026")).to_be_visible()
    await expect(page.locator("#reporting-rate")).to_have_text("8%")  # 10 of 124 sent (7 on time, 3 late)
    await expect(page.locator("#on-time-rate")).to_have_text("5,6%")  # 7 of 124
    await expect(page.get_by_text("Đã nộp 10/124 đơn vị")).to_be_visible()
    counts = {state: await page.locator(f"[data-state={state}]").inner_text()
              for state in ("on_time", "late", "returned", "draft", "missing")}
    assert counts == {"on_time": "7", "late": "3", "returned": "1", "draft": "2", "missing": "111"}

    trend = page.locator("svg.columns")
    await expect(trend.locator("text", has_text="T11/2026")).to_have_count(1)
    await expect(trend.locator("text", has_text="50%")).to_have_count(1)  # October: 62 of 124
    await expect(trend.locator("text", has_text="T6/2026")).to_have_count(1)  # six periods back to June

    await expect(page.locator("#issue-count")).to_have_text("1")  # the resolved one is not counted
    issues = page.locator("#vu-viec")
    await expect(issues).to_contain_text("KC-2511-AAAA")
    await expect(issues).not_to_contain_text("KC-2411-BBBB")
    await issues.get_by_role("link", name="KC-2511-AAAA").click()  # the issue itself, on the board
    await expect(page).to_have_url(re.compile(rf"{re.escape(app.public_url)}/quanly/phan-anh/vu-viec/\d+$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Vụ việc khẩn KC-2511-AAAA")
    await expect(page.get_by_text("Sạt lở bờ kênh đe dọa 5 hộ dân.")).to_be_visible()
    await page.go_back()
    await issues.get_by_role("link", name="Xem tất cả trên bảng vụ việc khẩn").click()
    await expect(page).to_have_url(f"{app.public_url}/quanly/phan-anh/vu-viec")
    await expect(page.locator("main")).to_contain_text("KC-2511-AAAA")
    await page.go_back()

    heard = page.locator("#y-kien")
    await expect(heard.locator("h2")).to_have_text("Ý kiến, dư luận 7 ngày qua: 5")  # 4 feedback, 1 observation
    by_category = heard.locator("svg").first
    await expect(by_category.locator("text").first).to_have_text("Đất đai")  # the most heard first
    await expect(by_category.locator("text.value").first).to_have_text("3")
    await expect(by_category).not_to_contain_text("Giá cả")  # nine days ago: not this week
    by_tone = heard.locator("svg").nth(1)
    await expect(by_tone).to_contain_text("Tiêu cực (lo lắng, bức xúc)")
    await expect(by_tone).to_contain_text("Không rõ")

    await expect(page.locator("dl.totals div", has_text="Số buổi tuyên truyền")).to_contain_text("20")  # 10 × 2


async def test_the_unit_table_filters_searches_sorts_and_pages_without_script(browser, admin, app, session_factory,
                                                                           clock):
    names = await seed_situation(session_factory, clock())
    page = await sign_in(browser, admin)
    table = page.locator("table.units tbody tr")
    await expect(page.locator("#unit-count")).to_have_text("124 đơn vị · trang 1/3")
    await expect(table).to_have_count(50)
    await expect(page.locator("#huyen")).to_have_count(0)  # Vĩnh Long has no districts: no such filter

    await page.locator(".state-counts").get_by_role("link", name="Chưa nộp").click()
    await expect(page.locator("#unit-count")).to_have_text("111 đơn vị · trang 1/3")
    await expect(page.locator("#trang_thai")).to_have_value("missing")
    await page.get_by_role("link", name="Trang sau").click()
    await expect(page.locator("#unit-count")).to_have_text("111 đơn vị · trang 2/3")
    await expect(table.first.locator("td").nth(1)).to_have_text("Chưa nộp")

    await page.get_by_label("Trạng thái").select_option(label="Nộp muộn")  # the script submits at once
    await expect(page.locator("#unit-count")).to_have_text("3 đơn vị")
    assert sorted(await table.locator("td:first-child").all_inner_texts()) == sorted(names[7:10])

    # Without JavaScript the same filters are links: the search ignores diacritics.
    context = await browser.new_context(java_script_enabled=False)
    await context.add_cookies(await page.context.cookies())
    plain = await context.new_page()
    await plain.goto(f"{app.public_url}/quanly/?ky=2026-11")
    await plain.get_by_label("Tìm theo tên").fill("cai nhum")
    await plain.get_by_role("button", name="Lọc").click()
    await expect(plain.locator("#unit-count")).to_have_text("1 đơn vị")
    await expect(plain.locator("table.units tbody tr")).to_contain_text("Xã Cái Nhum")
    await plain.goto(f"{app.public_url}/quanly/?ky=2026-11&sap_xep=state")
    rows = plain.locator("table.units tbody tr")
    await expect(rows.first.locator("td").nth(1)).to_have_text("Chưa nộp")  # the most urgent first
    await plain.get_by_role("link", name="Trạng thái ▲").click()  # again: the other way round
    await expect(rows.first.locator("td").nth(1)).to_contain_text("Đúng hạn")
    await plain.goto(f"{app.public_url}/quanly/?ky=2026-10&trang_thai=on_time")
    await expect(plain.locator("#unit-count")).to_have_text("62 đơn vị · trang 1/2")
    await expect(plain.locator("#reporting-rate")).to_have_text("50%")
    await context.close()


async def test_the_overview_fits_a_phone(browser, admin, app, session_factory, clock):
    await seed_situation(session_factory, clock())
    page = await sign_in(browser, admin, PHONE)
    await expect(page.locator("table.units tbody tr")).to_have_count(50)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the overview is {width}px wide on a {PHONE['width']}px phone"
    await page.screenshot(path="/tmp/ketnoi-overview-phone.png", full_page=True)


async def test_with_districts_the_table_filters_by_district_and_a_district_admin_sees_only_theirs(
    browser, tra_vinh, harness, session_factory, clock
):
    async with session_factory() as session:
        province = await get_unit_by_code(session, "84")
        below = await units_below(session, "84")
    district = next(unit for unit in below if unit.name == "Huyện Càng Long")
    in_district = [unit for unit in below if unit.path.startswith(district.path)]
    page = await sign_in(browser, harness.person(ADMIN_ID))
    await expect(page.get_by_text(f"{province.name} · Kỳ báo cáo Tháng 11/2026")).to_be_visible()
    await expect(page.locator("#unit-count")).to_have_text(f"{len(below)} đơn vị · trang 1/3")
    await page.get_by_label("Huyện, thị xã, thành phố").select_option(label="Huyện Càng Long")
    await expect(page.locator("#unit-count")).to_have_text(f"{len(in_district)} đơn vị")
    parents = set(await page.locator("table.units tbody td[data-label='Trực thuộc']").all_inner_texts())
    assert parents == {province.name, "Huyện Càng Long"}  # the district itself, and its communes

    page = await sign_in(browser, harness.person(6006, "Đỗ Thị Giang"))
    await expect(page.get_by_text("Huyện Càng Long · Kỳ báo cáo Tháng 11/2026")).to_be_visible()
    await expect(page.locator("#unit-count")).to_have_text(f"{len(in_district) - 1} đơn vị")
    await expect(page.locator("#huyen")).to_have_count(0)
    outside = next(unit for unit in below if not unit.path.startswith(district.path))
    assert (await page.goto(f"{tra_vinh.public_url}/quanly/bao-cao/don-vi/{outside.code}")).status == 403
