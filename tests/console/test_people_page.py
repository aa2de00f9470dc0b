"""Người dùng in the console: counts by role per unit, a unit's people (citizens counted, never
named), the units with no officer, invites made many at once and printed as an A4 sheet of QR
codes (PDF) whose code registers an officer through the chat (issue #13)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pypdf
from sqlalchemy import select

from bot.services.people import invites, units
from storage.models import AuditEntry
from tests.browser import PHONE, WAIT_MS
from tests.console.conftest import expect, sign_in
from tests.integration.conftest import register

OFFICER, MEMBER, OTHER_MEMBER, CITIZEN, UNIT_ADMIN, NEWCOMER = 5001, 5002, 5003, 5004, 5005, 5006
COMMUNES = 124  # Vĩnh Long since 2025: 105 xã, 19 phường


async def _people(session_factory, clock, platform) -> None:
    for n, name, unit, role in (
        (OFFICER, "Trần Thị Bình", "29641", "officer"),
        (MEMBER, "Lê Văn Tư", "29641", "member"),
        (OTHER_MEMBER, "Đỗ Thị Năm", "29653", "member"),
        (UNIT_ADMIN, "Phạm Văn Cường", "29623", "unit_admin"),
    ):
        await register(session_factory, clock, platform=platform, n=n, name=name, unit_code=unit, role=role)


async def become_citizen(person, place: str) -> None:
    await person.say("/start")
    await person.choose("Đồng ý")
    await person.say(place)


async def test_counts_per_unit_a_units_people_and_the_units_without_an_officer(
    browser, admin, app, harness, session_factory, clock, platform
):
    await _people(session_factory, clock, platform)
    await become_citizen(harness.person(CITIZEN, "Người Dân Năm"), "cai nhum")
    page = await sign_in(browser, admin)
    await page.get_by_role("link", name="Người dùng").click()
    await expect(page.get_by_role("heading", name="Tỉnh Vĩnh Long", exact=True)).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator(".total")).to_have_text(
        ["1Quản trị viên đơn vị", "1Cán bộ", "2Hội viên, đoàn viên", "1Người dân", f"{COMMUNES - 1}đơn vị chưa có cán bộ / {COMMUNES}"])
    # the province's own people: its admin
    await expect(page.get_by_role("row").filter(has_text="Nguyễn Văn An")).to_contain_text("Quản trị viên cấp tỉnh")

    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Xã Cái Nhum", exact=True))
    await expect(row.get_by_role("cell")).to_have_text(["Xã Cái Nhum", "0", "1", "1", "1", "Đủ"])
    other = page.get_by_role("row").filter(has=page.get_by_role("link", name="Xã Tân Long Hội", exact=True))
    await expect(other.get_by_role("cell")).to_have_text(["Xã Tân Long Hội", "0", "0", "1", "0", "Chưa có"])

    await row.get_by_role("link", name="Xã Cái Nhum").click()
    await expect(page.get_by_role("heading", name="Người của Xã Cái Nhum")).to_be_visible(timeout=WAIT_MS)
    people = page.locator("table.people tbody tr")
    await expect(people).to_have_count(2)  # the officer and the member; the citizen is only counted
    await expect(people.nth(0).get_by_role("cell")).to_have_text(
        ["Trần Thị Bình", "Cán bộ", "Telegram" if platform == "telegram" else "Zalo", "Có"])
    await expect(people.nth(1)).to_contain_text("Lê Văn Tư")
    await expect(page.get_by_text("Và 1 người dân chọn nơi ở tại đây (không lưu tên).")).to_be_visible()

    await page.get_by_role("link", name=re.compile("Chưa có cán bộ")).click()
    await expect(page.get_by_role("heading", name=f"Đơn vị chưa có cán bộ ({COMMUNES - 1})")).to_be_visible(
        timeout=WAIT_MS)
    boxes = page.locator("input[name=don_vi]")
    await expect(boxes).to_have_count(COMMUNES - 1)
    await expect(page.get_by_label("Xã Cái Nhum")).to_have_count(0)
    await expect(page.get_by_label("Xã Tân Long Hội")).to_be_checked()


async def test_invites_for_many_communes_print_as_a_pdf_whose_code_registers_an_officer(
    browser, admin, app, harness, session_factory, clock, platform
):
    page = await sign_in(browser, admin)
    await page.goto(page.url + "nguoi-dung/chua-co-can-bo")
    await page.get_by_role("button", name="Bỏ chọn tất cả").click()
    chosen = ("Xã Cái Nhum", "Xã Tân Long Hội", "Xã Nhơn Phú")
    for name in chosen:
        await page.get_by_label(name, exact=True).check()
    await page.get_by_role("button", name="Tạo mã mời cho các đơn vị đã chọn").click()
    await expect(page.get_by_role("status")).to_contain_text("Đã tạo 3 mã mời cho 3 đơn vị", timeout=WAIT_MS)
    codes = await page.locator("td.code").all_inner_texts()
    assert len(codes) == 3 and all(re.fullmatch(r"[A-Z2-9]{10}", c) for c in codes)
    for name in chosen:
        await expect(page.get_by_role("row").filter(has_text=name)).to_contain_text("Cán bộ")

    async with page.expect_download() as waiting:
        await page.get_by_role("button", name="Tải tờ in mã QR (PDF, khổ A4)").click()
    download = await waiting.value
    assert download.suggested_filename.endswith(".pdf")
    data = (await download.path()).read_bytes()
    assert data.startswith(b"%PDF")
    sheet = pypdf.PdfReader(io.BytesIO(data))
    assert len(sheet.pages) == 3  # one A4 page per commune
    assert abs(float(sheet.pages[0].mediabox.width) - 595.3) < 1  # A4: 210 mm
    first = sheet.pages[0].extract_text()
    assert "Xã Cái Nhum" in first and "Vai trò: Cán bộ" in first and "Quét mã QR bằng camera điện thoại" in first
    printed = re.search(r"\b([A-Z2-9]{10})\b", first).group(1)
    assert printed == codes[0]

    newcomer = harness.person(NEWCOMER, "Võ Văn Sáu")
    await newcomer.say(printed)  # as typed from the sheet (on Zalo people cannot open deep links)
    await newcomer.choose("Đồng ý")
    welcome = await newcomer.say("Võ Văn Sáu")
    assert "Bạn là cán bộ của Xã Cái Nhum" in welcome[0]["text"]

    async with session_factory() as session:
        actions = list((await session.execute(
            select(AuditEntry.target).where(AuditEntry.action == "invite.create").order_by(AuditEntry.id)
        )).scalars())
    assert sorted(actions) == ["unit:29623", "unit:29641", "unit:29653"]  # audited as the chat's /moi

    await page.goto(page.url.split("/nguoi-dung")[0] + "/nguoi-dung/chua-co-can-bo")
    await expect(page.get_by_label("Xã Cái Nhum")).to_have_count(0, timeout=WAIT_MS)


async def test_a_unit_admin_invites_only_in_their_subtree(browser, app, harness, session_factory, clock):
    await register(session_factory, clock, platform=harness.platform, n=UNIT_ADMIN, name="Phạm Văn Cường",
                   unit_code="29623", role="unit_admin")
    page = await sign_in(browser, harness.person(UNIT_ADMIN, "Phạm Văn Cường"))
    base = page.url
    await page.goto(base + "nguoi-dung")
    await expect(page.get_by_role("heading", name="Xã Nhơn Phú", exact=True)).to_be_visible(timeout=WAIT_MS)
    response = await page.goto(base + "nguoi-dung/don-vi/29641")
    assert response.status == 403
    await page.goto(base + "nguoi-dung/moi")
    await expect(page.locator("input[name=don_vi]")).to_have_count(1)
    forged = await page.evaluate(
        """([url, token]) => fetch(url, {method: "POST", body: new URLSearchParams(
             {csrf: token, don_vi: "29641", vai_tro: "officer", so_ma: "1"}), redirect: "manual"}).then(r => r.type)""",
        [base + "nguoi-dung/moi", await page.locator("input[name=csrf]").first.get_attribute("value")],
    )
    assert forged == "opaqueredirect"  # sent back (303) with the chat's refusal for the next page
    await page.goto(base + "nguoi-dung/moi")
    await expect(page.get_by_role("status")).to_have_text("Bạn không có quyền thực hiện việc này.")
    async with session_factory() as session:
        made = (await session.execute(select(AuditEntry).where(AuditEntry.action == "invite.create"))).all()
    assert made == []

    async with session_factory() as session, session.begin():  # another commune's invite, made in the chat
        (elsewhere,) = await invites.create_invites(session, actor=None, unit=await units.get_unit_by_code(
            session, "29641"), role="officer", now=clock(), ttl=timedelta(days=14))
    printed = await page.evaluate(
        """([url, token, code]) => fetch(url, {method: "POST", body: new URLSearchParams(
             {csrf: token, ma: code})}).then(r => r.status)""",
        [base + "nguoi-dung/moi/pdf", await page.locator("input[name=csrf]").first.get_attribute("value"), elsewhere],
    )
    assert printed == 404  # not printed, and not even said to exist


async def test_the_pages_fit_a_phone(browser, admin, app, harness, session_factory, clock, platform):
    await _people(session_factory, clock, platform)
    page = await sign_in(browser, admin, PHONE)
    base = page.url
    for path, name in (("nguoi-dung", "units"), ("nguoi-dung/don-vi/29641", "unit"),
                       ("nguoi-dung/chua-co-can-bo", "missing"), ("nguoi-dung/moi", "invite")):
        await page.goto(base + path)
        await expect(page.get_by_role("heading", name="Người dùng", exact=True)).to_be_visible(timeout=WAIT_MS)
        await _fits(page, f"/tmp/ketnoi-people-{name}.png")
    await page.get_by_label("Xã Cái Nhum").check()
    await page.get_by_role("button", name="Tạo mã mời").click()
    await expect(page.get_by_role("heading", name="Mã mời vừa tạo (1)")).to_be_visible(timeout=WAIT_MS)
    await _fits(page, "/tmp/ketnoi-people-created.png")


async def _fits(page, screenshot: str) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    await page.screenshot(path=screenshot, full_page=True)
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px phone"
