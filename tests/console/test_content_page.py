"""Tin bài in the console: compose with a photo, preview as on Telegram and Zalo, approval by a
second province admin, delivery to members in chat, rejection, scheduling, stopping, live figures,
poll results; shares into Zalo groups (#14.2); roles; a phone's width (issue #13)."""

from __future__ import annotations

import io
import re

from PIL import Image
from sqlalchemy import func, select, update

from bot.services.people import people
from broadcasts import approval, polls, shares, store
from broadcasts.audience import Audience
from storage.models import Broadcast, Delivery, DeliveryStatus, Role
from tests.browser import PHONE, WAIT_MS
from tests.console.conftest import expect, sign_in
from tests.integration.conftest import ADMIN_ID, register

APPROVER, MEMBERS, OUTSIDER, UNIT_ADMIN = 1002, (5001, 5002), 5003, 3001
COMMUNE = "29641"  # Xã Cái Nhum
TYPED = '<b>Hội nghị</b> tuyên truyền & học tập <a href="https://mttq.vn/hoi-nghi">Nghị quyết</a> lúc 8 giờ.'
PLAIN = "Hội nghị tuyên truyền & học tập Nghị quyết (https://mttq.vn/hoi-nghi) lúc 8 giờ."
ON_TELEGRAM = "Hội nghị tuyên truyền & học tập Nghị quyết lúc 8 giờ."  # what a Telegram client shows


def png() -> bytes:
    picture = Image.new("RGB", (64, 40), (179, 38, 30))
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


async def people_of_the_test(harness, session_factory, clock):
    """A second province admin, two members of one commune and a member elsewhere, on the test's platform."""
    platform = harness.platform
    await register(session_factory, clock, platform=platform, n=APPROVER, name="Lê Thị Hoa", unit_code="86",
                   role=Role.PROVINCE_ADMIN)
    for n in MEMBERS:
        await register(session_factory, clock, platform=platform, n=n, name=f"Hội viên {n}", unit_code=COMMUNE,
                       role=Role.MEMBER)
    await register(session_factory, clock, platform=platform, n=OUTSIDER, name="Hội viên khác", unit_code="29653",
                   role=Role.MEMBER)
    return (harness.person(APPROVER, "Lê Thị Hoa"), [harness.person(n, f"Hội viên {n}") for n in MEMBERS],
            harness.person(OUTSIDER, "Hội viên khác"))


def emulator_of(harness):
    return harness.telegram if harness.platform == "telegram" else harness.zalo


def console_base(page) -> str:
    return page.url.split("/quanly")[0] + "/quanly"


async def pending_broadcast(harness, session_factory, clock, text: str = "Thông báo lịch tiếp công dân tháng 12.",
                            unit: str = COMMUNE) -> int:
    """Content by the first admin, waiting for approval (made with the services, as the chat would)."""
    async with session_factory() as session, session.begin():
        author = await people.load_actor(session, harness.platform, harness.id_of(ADMIN_ID))
        item = await approval.create(session, author, text=text, now=clock(),
                                     audience=Audience(units=(unit,), roles=(Role.MEMBER,)))
        await approval.submit(session, author, item.id, now=clock())
        return item.id


async def released_broadcast(harness, session_factory, clock) -> int:
    broadcast_id = await pending_broadcast(harness, session_factory, clock)
    async with session_factory() as session, session.begin():
        approver = await people.load_actor(session, harness.platform, harness.id_of(APPROVER))
        await approval.approve(session, approver, broadcast_id, now=clock())
        await approval.send_now(session, approver, broadcast_id, now=clock())
    return broadcast_id


async def figures(page) -> dict[str, str]:
    return {field: await page.locator(f"[data-progress-id] [data-field={field}]").first.inner_text()
            for field in ("total", "sent", "pending", "failed", "unreachable", "cancelled")}


async def test_compose_with_a_photo_then_another_admin_approves_and_members_receive_it(
    browser, admin, app, harness, session_factory, clock, platform
):
    approver, members, outsider = await people_of_the_test(harness, session_factory, clock)
    page = await sign_in(browser, admin)
    await page.get_by_role("link", name="Tin bài").click()
    await page.get_by_role("link", name="Soạn tin mới").click()
    await page.locator("#text").fill(TYPED)
    await page.set_input_files("#file", files=[{"name": "hoi-nghi.png", "mimeType": "image/png", "buffer": png()}])
    await page.select_option("#unit", COMMUNE)
    await page.get_by_label("Hội viên, đoàn viên").check()
    await expect(page.locator("#count")).to_have_text("2", timeout=WAIT_MS)  # the live count, as typed
    await page.get_by_role("button", name="Lưu và xem trước").click()

    heading = page.get_by_role("heading", name=re.compile(r"^Tin số \d+"))
    await expect(heading).to_be_visible(timeout=WAIT_MS)
    broadcast_id = int(re.search(r"\d+", await heading.inner_text()).group(0))
    await expect(page.locator("[data-preview=telegram] b")).to_have_text("Hội nghị")  # formatted, as Telegram shows it
    await expect(page.locator("[data-preview=telegram] a")).to_have_attribute("href", "https://mttq.vn/hoi-nghi")
    await expect(page.locator("[data-preview=zalo]")).to_have_text(PLAIN)  # Zalo: plain words, the address beside
    await expect(page.locator("[data-preview=zalo] b")).to_have_count(0)
    await expect(page.locator("#reach")).to_have_text("2")  # counted by the server too
    assert await page.locator(".telegram img").evaluate("img => img.complete && img.naturalWidth") == 64
    assert approver.new_messages() == []  # a draft goes to nobody
    await page.screenshot(path="/tmp/ketnoi-content-preview-laptop.png", full_page=True)

    await page.get_by_role("button", name="Gửi duyệt").click()
    await expect(page.locator(".flash")).to_contain_text(f"Đã gửi tin số {broadcast_id} để duyệt", timeout=WAIT_MS)
    notice = ChatText(approver.new_messages())
    assert f"Tin số {broadcast_id} chờ duyệt, do Nguyễn Văn An soạn" in notice and "Gửi tới 2 người/nhóm" in notice
    assert all(m.transcript() == [] for m in members)  # nothing before approval

    other = await sign_in(browser, approver)
    await other.get_by_role("link", name="Tin bài").click()
    await expect(other.get_by_role("heading", name="Chờ tôi duyệt (1)")).to_be_visible(timeout=WAIT_MS)
    await other.get_by_role("link", name=f"Xem và duyệt tin số {broadcast_id}").click()
    await other.get_by_role("button", name="Duyệt và phát ngay").click()
    await expect(other.locator(".flash")).to_contain_text(
        f"Đã duyệt tin số {broadcast_id}; đang gửi tới 2 người/nhóm", timeout=WAIT_MS)

    assert await emulator_of(harness).wait_for(lambda: all(m.transcript() for m in members))
    for member in members:
        [received] = member.new_messages()
        assert received["photo"]
        assert received["text"] == (ON_TELEGRAM if platform == "telegram" else PLAIN)
    assert outsider.transcript() == []
    assert "đã được duyệt và đang được gửi" in ChatText(admin.new_messages())  # the author is told

    # The figures refresh by themselves (the page's script) until the broadcast is done, and match the ledger.
    await expect(other.locator("[data-field=sent]")).to_have_text("2", timeout=WAIT_MS)
    await expect(other.locator("[data-field=pending]")).to_have_text("0", timeout=WAIT_MS)
    async with session_factory() as session:
        counts = await store.status_counts(session, broadcast_id)
    assert (counts.total, counts.sent, counts.pending, counts.failed_total) == (2, 2, 0, 0)
    await other.reload()  # and without the script, the same figures
    assert await figures(other) == {"total": "2", "sent": "2", "pending": "0", "failed": "0", "unreachable": "0",
                                    "cancelled": "0"}
    await expect(other.get_by_role("heading", name=f"Tin số {broadcast_id}")).to_contain_text("đã gửi xong")
    await other.get_by_role("link", name="‹ Tin bài").click()
    await other.screenshot(path="/tmp/ketnoi-content-list-laptop.png", full_page=True)


class ChatText(str):
    """What a person read in chat, as one text."""

    def __new__(cls, messages):
        return super().__new__(cls, "\n---\n".join(m["text"] for m in messages))


async def test_rejecting_with_a_reason_tells_the_author_and_scheduling_then_cancelling(
    browser, admin, app, harness, session_factory, clock, platform
):
    await people_of_the_test(harness, session_factory, clock)
    approver = harness.person(APPROVER)
    rejected = await pending_broadcast(harness, session_factory, clock)
    scheduled = await pending_broadcast(harness, session_factory, clock, text="Mời dự lễ ra quân.")
    admin.new_messages()

    page = await sign_in(browser, approver)
    base = console_base(page)
    await page.goto(f"{base}/tin-bai/{rejected}")
    await page.get_by_label("Lý do từ chối").fill("Sai ngày họp, vui lòng sửa.")
    await page.get_by_role("button", name="Từ chối").click()
    await expect(page.locator(".flash")).to_have_text(f"Đã từ chối tin số {rejected}.", timeout=WAIT_MS)
    await expect(page.get_by_role("heading", name=f"Tin số {rejected}")).to_contain_text("bị từ chối")
    told = ChatText(admin.new_messages())
    assert f"Tin số {rejected} của bạn bị từ chối. Lý do: Sai ngày họp, vui lòng sửa." in told

    await page.goto(f"{base}/tin-bai/{scheduled}")
    await page.get_by_label("Duyệt và hẹn giờ gửi").fill("2026-12-24T07:30")
    await page.get_by_role("button", name="Duyệt và hẹn giờ").click()
    await expect(page.locator(".flash")).to_contain_text(f"Đã duyệt tin số {scheduled}; sẽ gửi lúc 07:30",
                                                         timeout=WAIT_MS)
    assert f"Tin số {scheduled} của bạn đã được duyệt và sẽ gửi lúc 07:30" in ChatText(admin.new_messages())
    await page.get_by_role("link", name="‹ Tin bài").click()
    row = page.locator("#dang-gui tr", has_text=f"Tin số {scheduled}")
    await expect(row).to_contain_text("đã hẹn giờ")
    await page.get_by_role("link", name=f"Tin số {scheduled}").click()
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Hủy tin").click()
    await expect(page.locator(".flash")).to_have_text(f"Đã hủy tin số {scheduled}; tin sẽ không được gửi.",
                                                      timeout=WAIT_MS)
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 0


async def test_a_running_broadcast_shows_live_figures_and_stops(browser, admin, app, harness, session_factory, clock):
    await app.outbox.stop()  # nothing goes out on its own in this test: the figures are set by hand
    await people_of_the_test(harness, session_factory, clock)
    broadcast_id = await released_broadcast(harness, session_factory, clock)
    page = await sign_in(browser, admin)
    await page.get_by_role("link", name="Tin bài").click()
    row = page.locator(f"[data-progress-id='{broadcast_id}']")
    await expect(row.locator("[data-field=pending]")).to_have_text("2", timeout=WAIT_MS)
    await expect(row.locator("[data-field=status_name]")).to_have_text("đang gửi")

    async with session_factory() as session, session.begin():  # one message goes out meanwhile
        first = await session.scalar(select(func.min(Delivery.id)).where(Delivery.broadcast_id == broadcast_id))
        await session.execute(update(Delivery).where(Delivery.id == first).values(status=DeliveryStatus.SENT))
    await expect(row.locator("[data-field=sent]")).to_have_text("1", timeout=WAIT_MS)  # no reload: the script
    await expect(row.locator("[data-field=pending]")).to_have_text("1")

    await page.get_by_role("link", name=f"Tin số {broadcast_id}").click()
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Dừng gửi").click()
    await expect(page.locator(".flash")).to_contain_text(f"Đã dừng tin số {broadcast_id}", timeout=WAIT_MS)
    shown = await figures(page)
    async with session_factory() as session:
        counts = await store.status_counts(session, broadcast_id)
        assert (await session.get(Broadcast, broadcast_id)).status == "stopped"
    assert shown == {"total": str(counts.total), "sent": str(counts.sent), "pending": str(counts.pending),
                     "failed": str(counts.failed_total), "unreachable": str(counts.unreachable),
                     "cancelled": str(counts.cancelled)}
    assert (counts.sent, counts.cancelled, counts.pending) == (1, 1, 0)
    await expect(page.get_by_role("button", name="Dừng gửi")).to_have_count(0)


async def test_poll_results_with_their_chart(browser, admin, app, harness, session_factory, clock):
    await app.outbox.stop()
    await people_of_the_test(harness, session_factory, clock)
    async with session_factory() as session, session.begin():
        author = await people.load_actor(session, "telegram", harness.id_of(ADMIN_ID))
        approver = await people.load_actor(session, "telegram", harness.id_of(APPROVER))
        poll = await polls.create(session, author, question="Bạn có dự hội nghị không?", options=["Có", "Không"],
                                  audience=Audience(units=(COMMUNE,), roles=(Role.MEMBER,)), now=clock())
        await approval.submit(session, author, poll.broadcast_id, now=clock())
        await approval.approve(session, approver, poll.broadcast_id, now=clock())
        await approval.send_now(session, approver, poll.broadcast_id, now=clock())
        for n, option in zip(MEMBERS, (0, 0), strict=True):
            voter = await people.load_actor(session, "telegram", harness.id_of(n))
            await polls.vote(session, voter, poll.id, option, now=clock())
    page = await sign_in(browser, admin)
    await page.get_by_role("link", name="Tin bài").click()
    await page.get_by_role("link", name=f"Khảo sát số {poll.id}").click()
    chart = page.get_by_role("img", name="Bạn có dự hội nghị không?")
    await expect(chart).to_be_visible(timeout=WAIT_MS)
    await expect(chart).to_contain_text("2 · 100%")
    await expect(page.get_by_role("row", name="Xã Cái Nhum 2 0")).to_be_visible()
    await page.screenshot(path="/tmp/ketnoi-content-poll-laptop.png", full_page=True)


async def test_a_poll_made_in_the_console_goes_for_approval_as_in_chat(
    browser, admin, app, harness, session_factory, clock
):
    approver, _, _ = await people_of_the_test(harness, session_factory, clock)
    page = await sign_in(browser, admin)
    await page.get_by_role("link", name="Tin bài").click()
    await page.get_by_role("link", name="Tạo khảo sát").click()
    await page.get_by_label("Câu hỏi").fill("Bà con muốn họp vào buổi nào?")
    await page.get_by_label("Các phương án").fill("Sáng thứ Bảy")
    await page.select_option("#unit", COMMUNE)
    await page.get_by_label("Hội viên, đoàn viên").check()
    await expect(page.locator("#count")).to_have_text("2", timeout=WAIT_MS)
    await page.get_by_role("button", name="Gửi duyệt").click()
    await expect(page.get_by_role("alert")).to_have_text(  # the chat's sentence; what was typed is kept
        "Khảo sát cần từ 2 đến 6 phương án khác nhau, mỗi phương án một dòng.", timeout=WAIT_MS)
    await expect(page.get_by_label("Câu hỏi")).to_have_value("Bà con muốn họp vào buổi nào?")
    await expect(page.locator("#count")).to_have_text("2")
    await page.get_by_label("Các phương án").fill("Sáng thứ Bảy\nChiều Chủ nhật")
    await page.get_by_role("button", name="Gửi duyệt").click()
    await expect(page.locator(".flash")).to_contain_text("Đã tạo khảo sát số 1 (tin số 1) và gửi duyệt",
                                                         timeout=WAIT_MS)
    notice = ChatText(approver.new_messages())
    assert "Tin số 1 chờ duyệt" in notice and "Bà con muốn họp vào buổi nào?" in notice
    await expect(page.get_by_role("row", name=re.compile("Khảo sát số 1 Bà con muốn họp"))).to_contain_text(
        "chờ duyệt")


async def test_a_unit_admin_cannot_compose(browser, app, harness, session_factory, clock):
    await register(session_factory, clock, platform="telegram", n=UNIT_ADMIN, name="Phạm Văn Cường",
                   unit_code=COMMUNE, role=Role.UNIT_ADMIN)
    unit_admin = harness.person(UNIT_ADMIN, "Phạm Văn Cường")
    page = await sign_in(browser, unit_admin)
    await page.get_by_role("link", name="Tin bài").click()
    await expect(page.get_by_text("Chỉ quản trị viên cấp tỉnh mới soạn, duyệt và phát tin.")).to_be_visible(
        timeout=WAIT_MS)
    await expect(page.get_by_role("link", name="Soạn tin mới")).to_have_count(0)
    base = console_base(page)
    await page.goto(f"{base}/tin-bai/soan")
    await expect(page.get_by_role("heading", name="Không có quyền")).to_be_visible(timeout=WAIT_MS)

    # A form sent anyway (with a valid session and token) is refused by the service itself.
    await page.goto(f"{base}/tin-bai")
    token = await page.locator("input[name=csrf]").first.input_value()
    answered = await page.evaluate(
        """([url, token]) => {
             const form = new FormData();
             form.append("csrf", token); form.append("text", "Tin tự soạn"); form.append("topic", "regular");
             form.append("unit", "29641"); form.append("roles", "member");
             return fetch(url, {method: "POST", body: form}).then(r => r.text());
           }""",
        [f"{base}/tin-bai/soan", token],
    )
    assert "Chỉ quản trị viên cấp tỉnh mới soạn, duyệt và phát tin." in answered
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0
    await page.goto(f"{base}/tin-bai/dem?unit=29641&roles=member")
    await expect(page.get_by_role("heading", name="Không có quyền")).to_be_visible()


async def test_the_pages_fit_a_phone(browser, admin, app, harness, session_factory, clock):
    await app.outbox.stop()
    await people_of_the_test(harness, session_factory, clock)
    await released_broadcast(harness, session_factory, clock)
    waiting = await pending_broadcast(harness, session_factory, clock, text="Kính gửi " + "hội viên " * 60)
    page = await sign_in(browser, harness.person(APPROVER), PHONE)
    base = console_base(page)
    pages = (("/tin-bai", "list"), ("/tin-bai/soan", "compose"), (f"/tin-bai/{waiting}", "detail"),
             ("/tin-bai/khao-sat/moi", "poll-form"))
    for path, name in pages:
        await page.goto(base + path)
        await expect(page.locator("main h1")).to_be_visible(timeout=WAIT_MS)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width}px wide on a {PHONE['width']}px phone"
        await page.screenshot(path=f"/tmp/ketnoi-content-{name}-phone.png", full_page=True)


async def test_a_broadcast_page_counts_the_officers_shares_into_zalo_groups(
    browser, admin, app, harness, session_factory, clock
):
    """Issue #14.2: the page shows what /trangthai does, the groups officers forwarded it into."""
    await app.outbox.stop()
    await people_of_the_test(harness, session_factory, clock)
    await register(session_factory, clock, platform=harness.platform, n=UNIT_ADMIN, name="Trần Thị Bình",
                   unit_code=COMMUNE, role=Role.OFFICER)
    async with session_factory() as session, session.begin():
        author = await people.load_actor(session, harness.platform, harness.id_of(ADMIN_ID))
        approver = await people.load_actor(session, harness.platform, harness.id_of(APPROVER))
        item = await approval.create(session, author, text="Thông báo lịch tiếp công dân tháng 12.", now=clock(),
                                     audience=Audience(units=(COMMUNE,), roles=(Role.OFFICER, Role.MEMBER)))
        await approval.submit(session, author, item.id, now=clock())
        await approval.approve(session, approver, item.id, now=clock())
        await approval.send_now(session, approver, item.id, now=clock())
        officer = await people.load_actor(session, harness.platform, harness.id_of(UNIT_ADMIN))
        await shares.record(session, officer, item.id, 6, now=clock())
    page = await sign_in(browser, admin)
    await page.goto(f"{console_base(page)}/tin-bai/{item.id}")
    await expect(page.locator("#shared-total")).to_have_text("6 nhóm, 1/1 cán bộ đã báo.", timeout=WAIT_MS)
    await expect(page.locator("#h-shared + p + ul li")).to_have_text("Xã Cái Nhum: 6 nhóm (1 cán bộ)")
