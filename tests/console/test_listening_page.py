"""Phản ánh & vụ việc in the console: the inbox and its filters, answering named feedback (the
sender gets it in chat), anonymous feedback that cannot be answered, turning feedback into an
urgent issue, and the issues board whose actions reach the officer in chat (issue #13)."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.services.listening import feedback as listening
from bot.services.people import units
from tests.browser import PHONE, WAIT_MS
from tests.console.conftest import expect, sign_in
from tests.integration.conftest import ADMIN_ID, register

MEMBER, OFFICER, OTHER_ADMIN, UNIT_ADMIN = 4001, 4002, 4003, 4004
REFERENCE = re.compile(r"PA-\d{4}-\w{4}")


def accept_dialogs(page) -> None:
    """Say yes to the "are you sure?" of forms that ask (data-confirm)."""
    page.on("dialog", lambda dialog: dialog.accept())


async def send_feedback(person, text: str, *, named: bool = True, place: str | None = None) -> str:
    """/phananh through the chat, as people do; returns the reference."""
    await person.say("/phananh")
    await person.choose("Gửi có tên" if named else "Gửi ẩn danh")
    await person.choose("Môi trường")
    if place is not None:
        await person.say(place)
    await person.say(text)
    await person.choose("Bỏ qua")
    thanks = (await person.choose("Bỏ qua"))[-1]["text"]
    return REFERENCE.search(thanks).group(0)


async def test_an_admin_answers_named_feedback_and_the_sender_gets_it_in_chat(
    browser, admin, app, harness, session_factory, clock, platform
):
    await register(session_factory, clock, platform=platform, n=MEMBER, name="Lê Văn Tư", unit_code="29641",
                   role="member")
    member = harness.person(MEMBER, "Lê Văn Tư")
    reference = await send_feedback(member, "Đèn đường ấp 2 hỏng cả tháng nay.")

    page = await sign_in(browser, admin)
    accept_dialogs(page)
    await page.get_by_role("link", name="Phản ánh & vụ việc").click()
    row = page.get_by_role("row").filter(has_text=reference)
    await expect(row).to_contain_text("Đèn đường ấp 2 hỏng")
    await expect(row).to_contain_text("Chờ trả lời")
    await row.get_by_role("link", name=reference).click()
    await expect(page.get_by_role("heading", name=f"Phản ánh {reference}")).to_be_visible(timeout=WAIT_MS)
    await expect(page.get_by_text("Lê Văn Tư – Xã Cái Nhum")).to_be_visible()

    await page.get_by_label("Nội dung trả lời").fill("Xã đã thay bóng đèn, cảm ơn bác.")
    await page.get_by_role("button", name="Gửi trả lời").click()
    await expect(page.get_by_role("status")).to_contain_text(f"Đã gửi câu trả lời tới người gửi ý kiến {reference}",
                                                             timeout=WAIT_MS)
    await expect(page.get_by_text("Đã trả lời", exact=True)).to_be_visible()
    await harness.settle()
    answer = member.new_messages()[-1]["text"]
    assert f"trả lời ý kiến {reference}" in answer and "Xã đã thay bóng đèn" in answer and "Nguyễn Văn An" in answer

    status = (await member.say(f"/phananh {reference}"))[-1]["text"]  # the chat knows it was answered
    assert "đã trả lời lúc" in status
    await page.goto(page.url.split("/phan-anh")[0] + "/phan-anh?tinh_trang=answered")
    await expect(page.get_by_role("row").filter(has_text=reference)).to_contain_text("Đã trả lời")


async def test_anonymous_feedback_cannot_be_answered(browser, admin, app, harness):
    stranger = harness.person(987001, "Người Lạ")
    reference = await send_feedback(stranger, "Kênh nội đồng bị ô nhiễm.", named=False, place="cai nhum")
    page = await sign_in(browser, admin)
    await page.goto(page.url + f"phan-anh?tim={reference}")
    await page.get_by_role("link", name=reference).click()
    await expect(page.get_by_text("được gửi ẩn danh (hoặc người gửi đã xóa dữ liệu), nên không thể trả lời")
                 ).to_be_visible(timeout=WAIT_MS)
    await expect(page.get_by_text("Ẩn danh (không lưu thông tin người gửi)")).to_be_visible()
    assert await page.get_by_label("Nội dung trả lời").count() == 0
    assert await page.get_by_role("button", name="Gửi trả lời").count() == 0


async def test_feedback_turned_into_an_urgent_issue_alerts_the_other_admins(
    browser, admin, app, harness, session_factory, clock, platform
):
    await register(session_factory, clock, platform=platform, n=MEMBER, name="Lê Văn Tư", unit_code="29641",
                   role="member")
    await register(session_factory, clock, platform=platform, n=OTHER_ADMIN, name="Lê Thị Hoa", unit_code="86",
                   role="province_admin")
    member, other = harness.person(MEMBER, "Lê Văn Tư"), harness.person(OTHER_ADMIN, "Lê Thị Hoa")
    reference = await send_feedback(member, "Sạt lở bờ sông ấp 3, nhiều nhà nguy hiểm.")
    assert reference in other.new_messages()[-1]["text"]  # Hoa got the feedback notice too

    page = await sign_in(browser, admin)
    accept_dialogs(page)
    await page.goto(page.url + f"phan-anh?tim={reference}")
    await page.get_by_role("link", name=reference).click()
    await page.get_by_role("button", name="Chuyển thành vụ việc khẩn").click()
    await expect(page.get_by_role("status")).to_contain_text("Đã gửi vụ việc khẩn KC-", timeout=WAIT_MS)
    issue = re.search(r"KC-\d{4}-\w{4}", await page.get_by_role("status").inner_text()).group(0)
    await expect(page.get_by_role("link", name=issue)).to_be_visible()
    await harness.settle()
    alert = other.new_messages()[-1]["text"]
    assert f"VỤ VIỆC KHẨN {issue}" in alert and "Sạt lở bờ sông" in alert
    if platform == "telegram":  # Hoa's copy of the feedback notice says it was settled
        copies = [m["text"] for m in other.transcript() if reference in m["text"] and "Ý kiến mới" not in m["text"]]
        assert any("chuyển thành vụ việc khẩn" in text for text in copies)

    await page.get_by_role("link", name=issue).click()  # no second issue for the same feedback
    await expect(page.get_by_role("heading", name=f"Vụ việc khẩn {issue}")).to_be_visible(timeout=WAIT_MS)
    await page.goto(page.url.split("/phan-anh")[0] + f"/phan-anh?tim={reference}")
    await expect(page.get_by_role("row").filter(has_text=reference)).to_contain_text("Đã chuyển vụ việc")


async def test_the_board_acknowledges_replies_and_resolves_and_the_officer_hears_of_it(
    browser, admin, app, harness, session_factory, clock, platform
):
    await register(session_factory, clock, platform=platform, n=OFFICER, name="Trần Thị Bình", unit_code="29641",
                   role="officer")
    officer = harness.person(OFFICER, "Trần Thị Bình")
    await officer.say("/khancap")
    await officer.choose("Thiên tai, dịch bệnh")
    await officer.say("Lốc xoáy làm tốc mái 12 nhà ở ấp 3.")
    raised = (await officer.choose("Gửi ngay"))[-1]["text"]
    issue = re.search(r"KC-\d{4}-\w{4}", raised).group(0)

    page = await sign_in(browser, admin)
    accept_dialogs(page)
    await page.goto(page.url + "phan-anh/vu-viec")
    open_column = page.locator("section.column").filter(has=page.get_by_role("heading", name=re.compile("^Mở")))
    card = open_column.get_by_role("article", name=f"Vụ việc {issue}")
    await expect(card).to_contain_text("Lốc xoáy làm tốc mái")
    await expect(card).to_contain_text("Người báo: Trần Thị Bình")
    await card.get_by_role("button", name="Đã tiếp nhận").click()
    await expect(page.get_by_role("status")).to_contain_text(f"bạn tiếp nhận vụ việc {issue}", timeout=WAIT_MS)
    acked = page.locator("section.column").filter(has=page.get_by_role("heading", name=re.compile("^Đã tiếp nhận")))
    await expect(acked.get_by_role("article", name=f"Vụ việc {issue}")).to_contain_text("Tiếp nhận: Nguyễn Văn An")
    await harness.settle()
    assert f"Vụ việc khẩn {issue} đã được Nguyễn Văn An tiếp nhận" in officer.new_messages()[-1]["text"]

    await acked.get_by_role("link", name="Trả lời người báo").click()
    await page.get_by_label(re.compile("^Nội dung")).fill("Huyện đã cử đoàn hỗ trợ lợp lại mái.")
    await page.get_by_role("button", name="Gửi trả lời").click()
    await expect(page.get_by_role("status")).to_contain_text(f"Đã chuyển câu trả lời tới đơn vị báo vụ việc {issue}",
                                                             timeout=WAIT_MS)
    await harness.settle()
    assert "Huyện đã cử đoàn hỗ trợ lợp lại mái." in officer.new_messages()[-1]["text"]

    await page.get_by_role("button", name="Đã giải quyết").click()
    await expect(page.get_by_role("status")).to_contain_text(f"vụ việc {issue} đã được giải quyết", timeout=WAIT_MS)
    await page.get_by_role("link", name="← Vụ việc khẩn").click()
    done = page.locator("section.column").filter(has=page.get_by_role("heading", name=re.compile("^Đã giải quyết")))
    await expect(done.get_by_role("article", name=f"Vụ việc {issue}")).to_contain_text("Giải quyết: Nguyễn Văn An")
    await harness.settle()
    assert "đánh dấu là đã giải quyết" in officer.new_messages()[-1]["text"]


async def _feedback(session_factory, clock, *, unit_code: str, category: str, tone: str | None, text: str,
                    days_ago: int = 0, person_id: int | None = None) -> None:
    async with session_factory() as session, session.begin():
        unit = await units.get_unit_by_code(session, unit_code)
        await listening.submit_feedback(session, unit=unit, category=category, tone=tone, text=text, photos=[],
                                        person_id=person_id, now=clock() - timedelta(days=days_ago))


async def test_the_inbox_filters_searches_and_pages(browser, admin, app, session_factory, clock):
    await _feedback(session_factory, clock, unit_code="29641", category="moitruong", tone="negative",
                    text="Rác thải đổ trộm ven kênh.", days_ago=1)
    await _feedback(session_factory, clock, unit_code="29623", category="yte", tone="positive",
                    text="Trạm y tế phục vụ tận tình.", days_ago=10)
    await _feedback(session_factory, clock, unit_code="29641", category="giaoduc", tone=None,
                    text="Trường thiếu phòng học.", days_ago=40)
    page = await sign_in(browser, admin)
    base = page.url + "phan-anh"
    await page.goto(base)
    await expect(page.get_by_text("3 phản ánh")).to_be_visible(timeout=WAIT_MS)

    await page.get_by_label("Lĩnh vực").select_option(label="Môi trường")
    await page.get_by_role("button", name="Lọc").click()
    await expect(page.get_by_text("1 phản ánh")).to_be_visible(timeout=WAIT_MS)
    await expect(page.get_by_role("cell", name="Rác thải đổ trộm ven kênh.")).to_be_visible()

    await page.goto(base + "?thai_do=positive")
    await expect(page.get_by_role("cell", name="Trạm y tế phục vụ tận tình.")).to_be_visible(timeout=WAIT_MS)
    await expect(page.get_by_text("1 phản ánh")).to_be_visible()

    await page.goto(base)
    await page.get_by_label("Đơn vị").select_option(value="29641")
    await page.get_by_role("button", name="Lọc").click()
    await expect(page.get_by_text("2 phản ánh")).to_be_visible(timeout=WAIT_MS)
    await expect(page.get_by_role("cell", name="Trạm y tế phục vụ tận tình.")).to_have_count(0)

    local = clock() + timedelta(hours=7)
    await page.goto(base + f"?tu={(local - timedelta(days=15)).date()}&den={local.date()}")
    await expect(page.get_by_text("2 phản ánh")).to_be_visible(timeout=WAIT_MS)
    await expect(page.get_by_role("cell", name="Trường thiếu phòng học.")).to_have_count(0)

    await page.goto(base)
    await page.get_by_label("Tìm trong nội dung").fill("phòng học")
    await page.get_by_role("button", name="Lọc").click()
    await expect(page.get_by_text("1 phản ánh")).to_be_visible(timeout=WAIT_MS)
    await expect(page.get_by_role("cell", name="Trường thiếu phòng học.")).to_be_visible()

    for n in range(52):  # pages of 50, newest first
        await _feedback(session_factory, clock, unit_code="29653", category="khac", tone="neutral",
                        text=f"Ý kiến số {n + 1:02d}.")
    await page.goto(base + "?linh_vuc=khac")
    await expect(page.get_by_text("52 phản ánh, trang 1/2")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("table.inbox tbody tr")).to_have_count(50)
    await page.get_by_role("link", name="Trang sau").click()
    await expect(page.locator("table.inbox tbody tr")).to_have_count(2, timeout=WAIT_MS)
    await expect(page.get_by_text("trang 2/2")).to_be_visible()


async def test_a_unit_admin_is_refused_items_outside_their_subtree(browser, app, harness, session_factory, clock):
    await register(session_factory, clock, platform=harness.platform, n=UNIT_ADMIN, name="Phạm Văn Cường",
                   unit_code="29641", role="unit_admin")
    await _feedback(session_factory, clock, unit_code="29641", category="khac", tone=None, text="Ở xã mình.")
    await _feedback(session_factory, clock, unit_code="29623", category="khac", tone=None, text="Ở xã khác.")
    async with session_factory() as session, session.begin():
        from bot.services.people import people

        actor = await people.load_actor(session, harness.platform, harness.id_of(ADMIN_ID))
        other = await units.get_unit_by_code(session, "29623")
        issue = await listening.raise_issue(session, actor, other, category="khac", text="Vụ việc ở xã khác.",
                                            now=clock())
        issue_id = issue.id
    page = await sign_in(browser, harness.person(UNIT_ADMIN, "Phạm Văn Cường"))
    base = page.url
    await page.goto(base + "phan-anh")
    await expect(page.get_by_text("1 phản ánh")).to_be_visible(timeout=WAIT_MS)
    await expect(page.get_by_role("cell", name="Ở xã khác.")).to_have_count(0)
    mine = page.get_by_role("row").filter(has_text="Ở xã mình.").get_by_role("link")
    await mine.click()
    await expect(page.get_by_role("heading", name=re.compile("^Phản ánh PA-"))).to_be_visible(timeout=WAIT_MS)
    own_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

    response = await page.goto(base + f"phan-anh/y-kien/{own_id + 1}")  # the other commune's item
    assert response.status == 403
    await expect(page.get_by_role("heading", name="Không có quyền")).to_be_visible()
    response = await page.goto(base + f"phan-anh/vu-viec/{issue_id}")
    assert response.status == 403
    forged = await page.evaluate(
        """([url, token]) => fetch(url, {method: "POST", headers: {"X-CSRF-Token": token}}).then(r => r.status)""",
        [base + f"phan-anh/vu-viec/{issue_id}/giai-quyet", await _csrf(page, base)],
    )
    assert forged == 403
    await page.goto(base + "phan-anh/vu-viec")
    await expect(page.get_by_text("Vụ việc ở xã khác.")).to_have_count(0)


async def _csrf(page, base: str) -> str:
    await page.goto(base + "phan-anh")
    return await page.locator("input[name=csrf]").first.get_attribute("value")


async def test_the_pages_fit_a_phone(browser, admin, app, harness, session_factory, clock, platform):
    await register(session_factory, clock, platform=platform, n=MEMBER, name="Lê Văn Tư", unit_code="29641",
                   role="member")
    reference = await send_feedback(harness.person(MEMBER, "Lê Văn Tư"),
                                    "Đường liên ấp xuống cấp, mùa mưa lầy lội, học sinh đi lại rất khó khăn.")
    async with session_factory() as session, session.begin():
        from bot.services.people import people

        actor = await people.load_actor(session, platform, harness.id_of(ADMIN_ID))
        unit = await units.get_unit_by_code(session, "29641")
        await listening.raise_issue(session, actor, unit, category="thientai",
                                    text="Triều cường tràn bờ bao, ngập 30 hộ dân ấp Cái Nhum.", now=clock())
    page = await sign_in(browser, admin, PHONE)
    base = page.url
    for path, name in (("phan-anh", "inbox"), (f"phan-anh?tim={reference}", "search"), ("phan-anh/vu-viec", "board")):
        await page.goto(base + path)
        await expect(page.get_by_role("heading", name="Phản ánh & vụ việc")).to_be_visible(timeout=WAIT_MS)
        await _fits(page, f"/tmp/ketnoi-listening-{name}.png")
    await page.goto(base + f"phan-anh?tim={reference}")
    await page.get_by_role("link", name=reference).click()
    await expect(page.get_by_role("heading", name=f"Phản ánh {reference}")).to_be_visible(timeout=WAIT_MS)
    await _fits(page, "/tmp/ketnoi-listening-item.png")
    await page.goto(base + "phan-anh/vu-viec")
    await page.locator("article.issue h3 a").first.click()
    await expect(page.get_by_role("heading", name=re.compile("^Vụ việc khẩn KC-"))).to_be_visible(timeout=WAIT_MS)
    await _fits(page, "/tmp/ketnoi-listening-issue.png")


async def _fits(page, screenshot: str) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    await page.screenshot(path=screenshot, full_page=True)
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px phone"


async def test_the_photos_sent_with_feedback_show_on_its_page(
    browser, admin, app, harness, session_factory, clock, platform
):
    await register(session_factory, clock, platform=platform, n=MEMBER, name="Lê Văn Tư", unit_code="29641",
                   role="member")
    member = harness.person(MEMBER, "Lê Văn Tư")
    await member.say("/phananh")
    await member.choose("Gửi có tên")
    await member.choose("Môi trường")
    await member.say("Bãi rác tự phát cạnh chợ, ảnh kèm theo.")
    await member.send_photo()
    await member.choose("Xong")
    reference = REFERENCE.search((await member.choose("Bỏ qua"))[-1]["text"]).group(0)

    page = await sign_in(browser, admin)
    await page.goto(page.url + f"phan-anh?tim={reference}")
    await page.get_by_role("link", name=reference).click()
    photo = page.get_by_role("img", name="Ảnh 1 kèm phản ánh")
    await expect(photo).to_be_visible(timeout=WAIT_MS)
    await page.wait_for_function(  # the photo itself, fetched from the platform that received it
        "() => [...document.querySelectorAll('.photos img')].every(i => i.complete && i.naturalWidth > 0)",
        timeout=WAIT_MS)
    missing = await page.request.get(page.url + "/anh/2")
    assert missing.status == 404
