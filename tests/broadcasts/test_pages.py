"""Broadcasts reach linked Facebook Pages through the same outbox and ledger, against the Graph emulator.

Each test links Pages to units (tokens sealed under a fresh key), releases a broadcast whose
audience includes `pages`, and drains a worker whose "facebook" lane publishes through the real
Graph client over HTTP. The fake clock walks through rate-limit pauses and backoffs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.channels.facebook.client import GraphClient
from bot.channels.facebook.sender import FacebookSender, render
from bot.core.messages import Outgoing, Photo
from bot.emulator.facebook import PUBLISH, READ, FacebookEmulator
from bot.emulator.zalo import TINY_PNG
from bot.services.pages import links
from bot.services.pages.journal import PostJournal
from bot.services.pages.sealing import TokenBox, new_key
from bot.services.people import people, units
from broadcasts import approval as broadcasts
from broadcasts.audience import Audience
from broadcasts.limits import Limits, SendBudget
from broadcasts.outbox import OutboxConfig, OutboxWorker
from broadcasts.summary import build_summary
from handlers.broadcast_texts import summary_text
from storage.models import Delivery, DeliveryStatus, LinkedChat, PageToken, Role
from tests.broadcasts.conftest import APPROVER, AUTHOR

PROVINCE_PAGE, COMMUNE_PAGE, OTHER_PAGE = "100000000000001", "100000000000002", "100000000000003"
TEXT = "Ủy ban MTTQ tỉnh thông báo lịch tiếp dân tháng 12."


@pytest.fixture
async def fb() -> AsyncIterator[FacebookEmulator]:
    emulator = FacebookEmulator()
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
def box() -> TokenBox:
    return TokenBox(new_key())


@pytest.fixture
async def pages(community, fb, box, session_factory, clock) -> dict[str, str]:
    """The province's Page (unit 86), a commune's (C1) and one of another district's commune (C3)."""
    linked = {PROVINCE_PAGE: ("86", "MTTQ tỉnh Vĩnh Long"), COMMUNE_PAGE: ("C1", "MTTQ xã Một"),
              OTHER_PAGE: ("C3", "MTTQ xã Ba")}
    tokens = {}
    async with session_factory() as session, session.begin():
        for page_id, (code, name) in linked.items():
            tokens[page_id] = f"EAAG-page-token-{page_id}"
            fb.add_page(page_id, name, tokens[page_id])
            unit = await units.get_unit_by_code(session, code)
            await links.link_page(session, unit=unit, page_id=page_id, token=tokens[page_id], box=box,
                                  now=clock(), title=name)
    return tokens


@pytest.fixture
async def worker(session_factory, fb, box, clock, fake_sleep, monotonic) -> AsyncIterator[OutboxWorker]:
    """A worker with only the Pages lane; `broken` collects what the app would tell the admins."""
    graph = GraphClient(fb.base_url)

    async def token(page_id: str) -> str | None:
        async with session_factory() as session:
            return await links.token_of(session, page_id, box)

    async def broken(page_id: str, reason: str) -> None:
        async with session_factory() as session, session.begin():
            if await links.mark_broken(session, page_id, reason, now=clock()) is not None:
                worker.broken.append(page_id)

    sender = FacebookSender(graph, token, journal=PostJournal(session_factory), on_broken=broken, clock=clock)
    pacer = SendBudget(Limits(enabled=False), clock=monotonic, sleep=fake_sleep)
    worker = OutboxWorker(session_factory, {"facebook": sender}, pacers={"facebook": pacer},
                          config=OutboxConfig(flush_interval=0.01), clock=clock, sleep=fake_sleep)
    worker.broken = []  # type: ignore[attr-defined]
    yield worker
    await graph.close()


async def release(session_factory, clock, *, text: str = TEXT, units_=("D1",), html: bool = False,
                  photo: Photo | None = None) -> int:
    """Written by AUTHOR, approved by APPROVER, released: for the units' members and Pages."""
    audience = Audience(units=units_, roles=(Role.MEMBER,), include_pages=True)
    async with session_factory() as session, session.begin():
        author = await people.load_actor(session, "telegram", str(AUTHOR))
        approver = await people.load_actor(session, "telegram", str(APPROVER))
        item = await broadcasts.create(session, author, text=text, audience=audience, now=clock(), html=html,
                                       photo=photo)
        await broadcasts.submit(session, author, item.id, now=clock())
        await broadcasts.approve(session, approver, item.id, now=clock())
        await broadcasts.send_now(session, approver, item.id, now=clock())
        return item.id


async def page_deliveries(session_factory, broadcast_id: int) -> dict[str, Delivery]:
    async with session_factory() as session:
        rows = await session.scalars(
            select(Delivery).where(Delivery.broadcast_id == broadcast_id, Delivery.platform == "facebook")
        )
        return {row.chat_id: row for row in rows}


async def test_a_broadcast_with_pages_is_posted_once_on_each_linked_page_of_the_chosen_units(
    pages, fb, worker, session_factory, clock
):
    broadcast_id = await release(session_factory, clock, units_=("86",))
    await worker.drain()

    for page_id in (PROVINCE_PAGE, COMMUNE_PAGE, OTHER_PAGE):
        assert [post.message for post in fb.posts(page_id)] == [TEXT]
    rows = await page_deliveries(session_factory, broadcast_id)
    assert {page_id: row.status for page_id, row in rows.items()} == dict.fromkeys(rows, DeliveryStatus.SENT)
    assert {row.message_id for row in rows.values()} == {fb.posts(p)[0].id for p in rows}
    async with session_factory() as session:
        text = summary_text(await build_summary(session, broadcast_id))
    assert "Trang Facebook:" in text
    assert f"MTTQ xã Một: đã đăng (mã bài viết {fb.posts(COMMUNE_PAGE)[0].id})" in text


async def test_only_the_pages_of_the_chosen_subtrees_and_only_with_pages_in_the_audience(
    pages, fb, worker, session_factory, clock
):
    await release(session_factory, clock, units_=("D1",))  # district D1 holds C1, not C3
    await worker.drain()
    assert len(fb.posts(PROVINCE_PAGE)) == 0
    assert len(fb.posts(COMMUNE_PAGE)) == 1
    assert len(fb.posts(OTHER_PAGE)) == 0


async def test_formatting_becomes_plain_text_with_links_written_out_and_a_photo_goes_with_its_caption(
    pages, fb, worker, session_factory, clock
):
    html = 'Mời xem <b>kế hoạch</b> tại <a href="https://mttq.vinhlong.gov.vn/ke-hoach">đây</a>.'
    await release(session_factory, clock, text=html, html=True, units_=("C1",))
    await release(session_factory, clock, text="Ảnh buổi ra quân", units_=("C1",),
                  photo=Photo(TINY_PNG, "ra-quan.png"))
    await worker.drain()

    # Two broadcasts' posts go out side by side: which Facebook answers first is not fixed.
    text_post, photo_post = sorted(fb.posts(COMMUNE_PAGE), key=lambda post: post.photo is not None)
    assert text_post.message == "Mời xem kế hoạch tại đây (https://mttq.vinhlong.gov.vn/ke-hoach)."
    assert text_post.link == "https://mttq.vinhlong.gov.vn/ke-hoach"
    assert photo_post.message == "Ảnh buổi ra quân"
    assert photo_post.photo == TINY_PNG and photo_post.photo_name == "ra-quan.png"


async def test_an_expired_token_breaks_the_link_once_and_later_broadcasts_skip_the_page(
    pages, fb, worker, session_factory, clock, box
):
    fb.expire_token(COMMUNE_PAGE)
    first = await release(session_factory, clock, units_=("D1",))
    await worker.drain()

    row = (await page_deliveries(session_factory, first))[COMMUNE_PAGE]
    assert row.status == DeliveryStatus.UNREACHABLE
    assert "#190" in row.error_detail and "expired" in row.error_detail
    assert worker.broken == [COMMUNE_PAGE]
    assert fb.posts(COMMUNE_PAGE) == []
    async with session_factory() as session:
        [link] = [link for link in await links.list_pages(session) if link.page_id == COMMUNE_PAGE]
        assert link.broken and not link.active
        text = summary_text(await build_summary(session, first))
    assert "MTTQ xã Một: liên kết hỏng, cần mã truy cập mới" in text
    assert "expired" not in text and "broken" not in text  # the author reads Vietnamese only

    second = await release(session_factory, clock, units_=("D1",))
    await worker.drain()
    assert COMMUNE_PAGE not in await page_deliveries(session_factory, second)

    fb.renew_token(COMMUNE_PAGE, "EAAG-new-token")  # the admin relinks with a new token
    async with session_factory() as session, session.begin():
        unit = await units.get_unit_by_code(session, "C1")
        await links.link_page(session, unit=unit, page_id=COMMUNE_PAGE, token="EAAG-new-token", box=box,
                              now=clock())
    await release(session_factory, clock, units_=("D1",))
    await worker.drain()
    assert [post.message for post in fb.posts(COMMUNE_PAGE)] == [TEXT]


@pytest.mark.parametrize(("code", "status"), [(4, 400), (17, 400), (32, 400), (613, 403), (80001, 400)])
async def test_a_rate_limit_waits_and_retries_without_posting_twice(
    pages, fb, worker, session_factory, clock, code, status
):
    fb.rate_limit_next(COMMUNE_PAGE, code=code, status=status, minutes=2)
    started = clock()
    broadcast_id = await release(session_factory, clock, units_=("C1",))
    await worker.drain()

    assert [post.message for post in fb.posts(COMMUNE_PAGE)] == [TEXT]
    row = (await page_deliveries(session_factory, broadcast_id))[COMMUNE_PAGE]
    assert row.status == DeliveryStatus.SENT and row.attempts == 1  # a throttle is not an attempt
    assert (row.sent_at - started).total_seconds() >= 120  # waited as long as Facebook said


async def test_a_server_error_is_retried_and_posted_once(pages, fb, worker, session_factory, clock):
    fb.fail_next(COMMUNE_PAGE, times=2)
    broadcast_id = await release(session_factory, clock, units_=("C1",))
    await worker.drain()
    assert len(fb.posts(COMMUNE_PAGE)) == 1
    assert (await page_deliveries(session_factory, broadcast_id))[COMMUNE_PAGE].status == DeliveryStatus.SENT


async def test_a_server_error_that_persists_fails_with_its_reason(pages, fb, worker, session_factory, clock):
    fb.fail_next(COMMUNE_PAGE, times=OutboxConfig().max_attempts * 2)  # each retry also reads the feed
    broadcast_id = await release(session_factory, clock, units_=("C1",))
    await worker.drain()

    row = (await page_deliveries(session_factory, broadcast_id))[COMMUNE_PAGE]
    assert row.status == DeliveryStatus.FAILED
    assert row.last_error == "transient"
    assert row.error_detail.startswith("500 #2: An unexpected error")
    assert fb.posts(COMMUNE_PAGE) == []


async def commune_link(session_factory) -> links.PageLink:
    async with session_factory() as session:
        [link] = [link for link in await links.list_pages(session) if link.page_id == COMMUNE_PAGE]
        return link


@pytest.mark.parametrize("code", [10, 200, 230, 299])
async def test_a_permission_refused_on_the_post_breaks_the_link_and_the_admins_are_told(
    pages, fb, worker, session_factory, clock, code
):
    fb.refuse_next(COMMUNE_PAGE, code, status=403)
    broadcast_id = await release(session_factory, clock, units_=("C1",))
    await worker.drain()

    row = (await page_deliveries(session_factory, broadcast_id))[COMMUNE_PAGE]
    assert row.status == DeliveryStatus.UNREACHABLE and f"#{code}" in row.error_detail
    assert worker.broken == [COMMUNE_PAGE]  # what the app turns into the admins' notice (bot/app.py)
    link = await commune_link(session_factory)
    assert link.broken and link.broken_at is not None and f"#{code}" in link.broken_reason
    assert fb.posts(COMMUNE_PAGE) == []


async def test_a_token_without_publishing_permission_breaks_the_link(pages, fb, worker, session_factory, clock):
    fb.take_permission(COMMUNE_PAGE, PUBLISH)
    await release(session_factory, clock, units_=("C1",))
    await worker.drain()
    assert worker.broken == [COMMUNE_PAGE]
    assert "pages_manage_posts" in (await commune_link(session_factory)).broken_reason


async def test_a_permission_refused_on_the_retrys_feed_read_breaks_the_link_too(
    pages, fb, worker, session_factory, clock
):
    """A token without pages_read_engagement posts fine, but the retry after a 500 reads the feed
    first (to find a post the failed attempt may have made): that read's refusal must break the
    link and tell the admins, not switch the Page off silently while /fanpage says it is active."""
    fb.take_permission(COMMUNE_PAGE, READ)
    fb.fail_next(COMMUNE_PAGE)  # the first post: 500, retried
    broadcast_id = await release(session_factory, clock, units_=("C1",))
    await worker.drain()

    row = (await page_deliveries(session_factory, broadcast_id))[COMMUNE_PAGE]
    assert row.status == DeliveryStatus.UNREACHABLE and "#10" in row.error_detail
    assert worker.broken == [COMMUNE_PAGE]
    link = await commune_link(session_factory)
    assert link.broken_at is not None and "pages_read_engagement" in link.broken_reason
    assert not link.active
    assert fb.posts(COMMUNE_PAGE) == []


@pytest.mark.parametrize(("code", "said"), [(100, "(#100) Invalid parameter"), (506, "(#506) Duplicate status message")])
async def test_any_other_error_fails_the_delivery_with_facebooks_message_and_the_link_stays(
    pages, fb, worker, session_factory, clock, code, said
):
    fb.refuse_next(COMMUNE_PAGE, code)
    broadcast_id = await release(session_factory, clock, units_=("C1",))
    await worker.drain()

    row = (await page_deliveries(session_factory, broadcast_id))[COMMUNE_PAGE]
    assert row.status == DeliveryStatus.FAILED and row.last_error == "rejected" and row.attempts == 1
    assert row.error_detail == f"400 #{code}: {said}"
    async with session_factory() as session:
        text = summary_text(await build_summary(session, broadcast_id))
    assert f"MTTQ xã Một: không đăng được (Facebook báo: 400 #{code}: {said})" in text
    assert worker.broken == []
    link = await commune_link(session_factory)
    assert link.active and not link.broken

    await release(session_factory, clock, units_=("C1",))  # the next broadcast reaches the Page
    await worker.drain()
    assert [post.message for post in fb.posts(COMMUNE_PAGE)] == [TEXT]


async def test_without_a_pages_lane_the_page_deliveries_fail_with_a_reason_and_the_broadcast_completes(
    pages, community, fb, make_worker, session_factory, clock, emu
):
    """A process without PAGE_TOKEN_KEY has no Pages lane: a broadcast released with Pages in its
    audience (composed while Pages were on, or by hand) must not wait for ever. Its Page deliveries
    fail with the reason, it completes, and its author is told what happened to each Page."""
    await community.people([500], "C1", Role.MEMBER)
    told = []

    async def tell(summary) -> None:
        told.append(summary_text(summary))

    worker = await make_worker(on_finished=tell)  # Telegram only, as `run` builds it without the key
    broadcast_id = await release(session_factory, clock, units_=("C1",))
    [summary] = await worker.drain()

    rows = await page_deliveries(session_factory, broadcast_id)
    assert rows[COMMUNE_PAGE].status == DeliveryStatus.FAILED and rows[COMMUNE_PAGE].last_error == "no_sender"
    assert summary.status == "completed" and summary.counts.sent == 1  # the member got it
    assert [m["text"] for m in emu.messages(500)] == [TEXT]
    assert fb.posts(COMMUNE_PAGE) == []
    [text] = told
    assert "Tin số" in text and "đã gửi xong" in text
    assert "máy chủ chưa được cấu hình để gửi qua nền tảng này: 1" in text
    assert "MTTQ xã Một: không đăng được vì chức năng Trang Facebook chưa được bật trên máy chủ" in text
    assert (await commune_link(session_factory)).active  # the link itself is fine


async def test_an_answer_lost_after_the_post_was_made_is_not_posted_again(
    pages, fb, worker, session_factory, clock
):
    """The post reached the Page but its answer did not reach us (a 500 after the fact, a crash):
    the journal holds intent without a post id, so the retry finds the post instead of posting."""
    broadcast_id = await release(session_factory, clock, units_=("C1",))
    graph = GraphClient(fb.base_url)
    try:
        journal = PostJournal(session_factory)
        key = f"broadcast:{broadcast_id}"
        await journal.begin(COMMUNE_PAGE, key, clock())
        posted = await graph.post_text(COMMUNE_PAGE, pages[COMMUNE_PAGE], TEXT)  # its id is "lost"
    finally:
        await graph.close()
    await worker.drain()

    assert [post.id for post in fb.posts(COMMUNE_PAGE)] == [posted]
    assert (await page_deliveries(session_factory, broadcast_id))[COMMUNE_PAGE].message_id == posted


async def test_the_same_words_posted_by_an_earlier_broadcast_are_not_taken_for_this_one(
    pages, fb, worker, session_factory, clock
):
    await release(session_factory, clock, units_=("C1",))
    await worker.drain()
    second = await release(session_factory, clock, units_=("C1",))  # the same words again
    await PostJournal(session_factory).begin(COMMUNE_PAGE, f"broadcast:{second}", clock())  # interrupted
    await worker.drain()
    first_post, second_post = fb.posts(COMMUNE_PAGE)
    assert first_post.id != second_post.id
    assert (await page_deliveries(session_factory, second))[COMMUNE_PAGE].message_id == second_post.id


async def test_tokens_are_stored_encrypted_and_never_shown(pages, session_factory, box):
    async with session_factory() as session:
        stored = list(await session.scalars(select(PageToken.token)))
        listed = await links.list_pages(session)
    assert stored and not any("EAAG" in value for value in stored)
    assert {box.open(value) for value in stored} == set(pages.values())
    assert all("EAAG" not in repr(link) for link in listed)


async def test_unlinking_forgets_the_token_and_the_page_gets_nothing_more(
    pages, fb, worker, session_factory, clock
):
    async with session_factory() as session, session.begin():
        assert await links.unlink_page(session, COMMUNE_PAGE, now=clock())
    async with session_factory() as session:
        chat = await session.scalar(select(LinkedChat).where(LinkedChat.chat_id == COMMUNE_PAGE))
        assert await session.get(PageToken, chat.id) is None
    await release(session_factory, clock, units_=("C1",))
    await worker.drain()
    assert fb.posts(COMMUNE_PAGE) == []


def test_render_keeps_plain_text_and_finds_the_first_link():
    assert render(Outgoing("Xem https://a.vn/x, rồi https://b.vn.")) == ("Xem https://a.vn/x, rồi https://b.vn.",
                                                                        "https://a.vn/x")
    assert render(Outgoing("Không có liên kết")) == ("Không có liên kết", None)


def test_a_page_id_is_digits_and_a_token_has_no_spaces():
    from bot.core.errors import UserFacingError

    assert links.check_page_id(" 1234567890 ") == "1234567890"
    for bad in ("not-a-number", "", "12 34"):
        with pytest.raises(UserFacingError):
            links.check_page_id(bad)
    with pytest.raises(UserFacingError):
        links.check_token("EAAG with spaces")
