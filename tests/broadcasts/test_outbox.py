"""The outbox over the real HTTP path: python-telegram-bot on aiohttp against the emulator."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from telegram.error import NetworkError, TimedOut

from bot.channels.telegram.aiohttp_request import AiohttpRequest
from bot.channels.telegram.sender import map_error
from bot.core.messages import Document, Photo
from bot.core.sending import Transient
from bot.emulator.telegram import TINY_PNG
from bot.services.people import people
from broadcasts import approval as broadcasts
from broadcasts import store
from broadcasts.limits import Limits
from broadcasts.outbox import OutboxConfig
from broadcasts.text import split_text
from handlers.broadcast_texts import summary_text
from storage.models import Broadcast, BroadcastStatus, Delivery, DeliveryStatus, Identity, LinkedChat, Role
from tests.broadcasts.conftest import AUTHOR, TOKEN, Gate

MEMBERS = range(1000, 1050)


async def _deliveries(session_factory, broadcast_id: int) -> list[Delivery]:
    async with session_factory() as session:
        return list(await session.scalars(select(Delivery).where(Delivery.broadcast_id == broadcast_id)))


async def test_every_member_and_linked_chat_gets_exactly_one_message(
    community, make_worker, emu, session_factory
):
    await community.people(MEMBERS, "C1", Role.MEMBER)
    await community.chat(-5001, "D1")
    await community.chat(-1005002, "C2", kind="channel")
    broadcast_id = await community.broadcast("Lịch tiếp công dân tháng 12", units_=("D1",), linked=True)
    worker = await make_worker()
    summaries = await worker.drain()
    for chat in [*MEMBERS, -5001, -1005002]:
        assert [m["text"] for m in emu.messages(chat)] == ["Lịch tiếp công dân tháng 12"]
    rows = await _deliveries(session_factory, broadcast_id)
    assert {r.status for r in rows} == {DeliveryStatus.SENT} and len(rows) == 52
    assert all(r.message_id for r in rows)
    [summary] = summaries
    assert summary.counts.sent == 52 and summary.status == BroadcastStatus.COMPLETED
    async with session_factory() as session:
        assert (await session.get(Broadcast, broadcast_id)).status == BroadcastStatus.COMPLETED


# --------------------------------------------------------------------------- faults


async def test_faults_every_reachable_recipient_gets_one_message_and_the_gone_are_marked(
    community, make_worker, emu, session_factory
):
    await community.people(MEMBERS, "C1", Role.MEMBER)
    await community.chat(-5001, "C1")
    await community.chat(-5002, "C2")
    emu.fail_next(
        "sendMessage",
        429,
        "Too Many Requests: retry after 3",
        parameters={"retry_after": 3},
        times=2,
        chat_id=1001,
    )
    emu.fail_next("sendMessage", 500, "Internal Server Error", times=2, chat_id=1002)
    emu.fail_next("sendMessage", 502, "Bad Gateway", times=1, chat_id=1003)
    emu.drop_next("sendMessage", times=2, chat_id=1004)  # dies on the way: nothing stored, no answer
    await emu.block_bot(1005)
    emu.deactivate_user(1006)
    await emu.remove_bot_from_chat(AUTHOR, -5002)
    broadcast_id = await community.broadcast("Tin khẩn", units_=("D1",), linked=True)

    worker = await make_worker()
    [summary] = await worker.drain()

    gone = {1005, 1006, -5002}
    for chat in [*MEMBERS, -5001, -5002]:
        assert len(emu.messages(chat)) == (0 if chat in gone else 1), chat
    rows = {int(r.chat_id): r for r in await _deliveries(session_factory, broadcast_id)}
    assert {c for c, r in rows.items() if r.status == DeliveryStatus.UNREACHABLE} == gone
    assert {r.status for c, r in rows.items() if c not in gone} == {DeliveryStatus.SENT}
    assert rows[1001].attempts == 1  # 429s are not failures
    assert rows[1002].attempts == 3 and rows[1004].attempts == 3  # two transient errors, then sent
    assert summary.counts.sent == 49 and summary.counts.unreachable == 3
    async with session_factory() as session:
        marked = await session.scalars(
            select(Identity.external_id).where(Identity.unreachable_at.is_not(None))
        )
        assert set(marked) == {"1005", "1006"}
        kicked = await session.scalar(select(LinkedChat).where(LinkedChat.chat_id == "-5002"))
        assert kicked.active is False and kicked.removed_at is not None
    # The next broadcast does not even try the unreachable.
    second = await community.broadcast("Tin thứ hai", units_=("D1",), linked=True)
    assert {int(r.chat_id) for r in await _deliveries(session_factory, second)}.isdisjoint(gone)


async def test_transient_errors_past_the_attempt_limit_fail_with_their_reason(
    community, make_worker, emu, session_factory
):
    await community.people([1001, 1002], "C1", Role.MEMBER)
    emu.fail_next("sendMessage", 500, "Internal Server Error", times=10, chat_id=1001)
    emu.fail_next("sendMessage", 400, "Bad Request: message is too long", chat_id=1002)
    broadcast_id = await community.broadcast()
    worker = await make_worker(config=OutboxConfig(flush_interval=0.01, max_attempts=3))
    [summary] = await worker.drain()
    rows = {r.chat_id: r for r in await _deliveries(session_factory, broadcast_id)}
    assert (rows["1001"].status, rows["1001"].last_error, rows["1001"].attempts) == ("failed", "transient", 3)
    assert (rows["1002"].status, rows["1002"].last_error) == ("failed", "rejected")
    assert summary.counts.failed == {"transient": 1, "rejected": 1}
    assert "Không gửi được: 2" in summary_text(summary)


async def test_a_migrated_group_gets_the_message_at_its_new_id(community, make_worker, emu, session_factory):
    await community.chat(-5001, "C1")
    await emu.migrate_group(-5001, -1005001)
    broadcast_id = await community.broadcast("Họp chi hội", units_=("C1",), roles=(), linked=True)
    worker = await make_worker()
    await worker.drain()
    assert [m["text"] for m in emu.messages(-1005001)] == ["Họp chi hội"]
    assert [m for m in emu.messages(-5001) if m["text"]] == []
    [row] = await _deliveries(session_factory, broadcast_id)
    assert (row.chat_id, row.status, row.attempts) == ("-1005001", DeliveryStatus.SENT, 1)
    async with session_factory() as session:
        chat = await session.scalar(select(LinkedChat))
        assert (chat.chat_id, chat.kind, chat.active) == ("-1005001", "supergroup", True)


def _received(emu, chats) -> dict[int, int]:
    return {chat: len(emu.messages(chat)) for chat in chats}


# --------------------------------------------------------------------------- stop and crash


async def test_stop_keeps_what_was_sent_and_cancels_the_rest(
    community, make_worker, emu, session_factory, clock
):
    members = range(1000, 1200)
    await community.people(members, "C1", Role.MEMBER)
    gate = Gate(emu, after=20)
    broadcast_id = await community.broadcast()
    worker = await make_worker(config=OutboxConfig(flush_interval=0.01, concurrency=8))
    running = asyncio.create_task(worker.drain())
    assert await emu.wait_for(lambda: sum(_received(emu, members).values()) >= 20)
    async with session_factory() as session, session.begin():
        admin = await people.load_actor(session, "telegram", str(AUTHOR))
        await broadcasts.stop(session, admin, broadcast_id, now=clock())
    worker.broadcast_stopped(broadcast_id)
    gate.open()  # sends already in flight complete; nothing queued is sent
    await running

    received = _received(emu, members)
    assert set(received.values()) <= {0, 1}
    rows = await _deliveries(session_factory, broadcast_id)
    sent = {int(r.chat_id) for r in rows if r.status == DeliveryStatus.SENT}
    assert sent == {chat for chat, count in received.items() if count}
    assert 20 <= len(sent) <= 28  # the 20 before the stop and at most the 8 in flight
    assert {r.status for r in rows if int(r.chat_id) not in sent} == {DeliveryStatus.CANCELLED}
    async with session_factory() as session:
        assert (await session.get(Broadcast, broadcast_id)).status == BroadcastStatus.STOPPED


async def test_a_crash_mid_broadcast_resumes_with_no_recipient_skipped(
    community, make_worker, emu, session_factory, clock, monkeypatch
):
    members = range(1000, 1150)
    await community.people(members, "C1", Role.MEMBER)
    gate = Gate(emu, after=40)
    broadcast_id = await community.broadcast()
    config = OutboxConfig(flush_interval=0.01, concurrency=8)
    recorded_40 = _signal_when_recorded(monkeypatch, 40)
    first = await make_worker(config=config)
    running = asyncio.create_task(first.drain())
    await recorded_40.wait()  # 40 sent and recorded, 8 held in flight
    running.cancel()  # the process dies: no cleanup, its leases left behind
    with contextlib.suppress(asyncio.CancelledError):
        await running
    recorded = {
        int(r.chat_id) for r in await _deliveries(session_factory, broadcast_id) if r.status == "sent"
    }
    gate.open()  # the requests in flight at the crash still reach Telegram
    clock.advance(seconds=config.lease_seconds + 1)

    second = await make_worker(config=config)
    [summary] = await second.drain()

    received = _received(emu, members)
    assert min(received.values()) == 1  # nobody skipped
    assert max(received.values()) <= 2
    doubled = {chat for chat, count in received.items() if count > 1}
    assert len(recorded) >= 40 and doubled.isdisjoint(recorded)
    assert len(doubled) <= config.concurrency  # only the messages in flight at the crash
    assert summary.counts.sent == 150 and summary.status == BroadcastStatus.COMPLETED


def _signal_when_recorded(monkeypatch, count: int) -> asyncio.Event:
    """An event set once the outbox has committed `count` sent results to the database."""
    reached, total = asyncio.Event(), [0]
    original = store.record

    async def record(session, outcomes, *, now):
        recorded = await original(session, outcomes, now=now)
        total[0] += recorded.sent
        if total[0] >= count and not reached.is_set():
            sa_event.listen(session.sync_session, "after_commit", lambda _session: reached.set(), once=True)
        return recorded

    monkeypatch.setattr(store, "record", record)
    return reached


# --------------------------------------------------------------------------- limits


def _record_sends(emu, monotonic) -> list[tuple[float, int]]:
    """(time, chat) of every message the emulator accepted."""
    log: list[tuple[float, int]] = []
    name, original = emu._api["sendmessage"]

    async def recording(params):
        result = await original(params)
        log.append((monotonic(), int(params["chat_id"])))
        return result

    emu._api["sendmessage"] = (name, recording)
    return log


def _max_in_window(times: list[float], period: float) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - period:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_limits_are_kept_without_a_single_429(community, make_worker, emu, monotonic):
    emu.enforce_limits = True  # 30/s overall, 1/s per private chat, 20/min per group, on the fake clock
    members = range(1000, 1100)
    await community.people(members, "C1", Role.MEMBER)
    await community.chat(-5001, "C1")
    sends = _record_sends(emu, monotonic)
    long_text = "\n\n".join(f"Đoạn {i}: " + "nội dung tuyên truyền " * 40 for i in range(12))
    parts = split_text(long_text, 4096)
    assert len(parts) >= 2
    await community.broadcast(long_text, units_=("C1",))
    for number in range(25):
        await community.broadcast(f"Tin nhóm {number}", units_=("C1",), roles=(), linked=True)
    started = monotonic()

    worker = await make_worker(limits=Limits())
    await worker.drain()

    assert emu.throttled_count == 0
    for member in members:
        assert [m["text"] for m in emu.messages(member)] == parts  # split in the sender, in order
    assert sorted(m["text"] for m in emu.messages(-5001)) == sorted(f"Tin nhóm {n}" for n in range(25))
    assert _max_in_window([at for at, _ in sends], 1.0) <= 30
    assert _max_in_window([at for at, chat in sends if chat == -5001], 60.0) <= 20
    for member in members:
        assert _max_in_window([at for at, chat in sends if chat == member], 1.0) <= 1
    assert monotonic() - started >= 60  # the group's 21st message waited for its minute


# --------------------------------------------------------------------------- approval and lifecycle


async def test_nothing_unapproved_is_sent(community, make_worker, emu, session_factory, clock):
    await community.people(MEMBERS, "C1", Role.MEMBER)
    approved_not_released = await community.broadcast("Đã duyệt, chưa phát", release=False)
    async with session_factory() as session, session.begin():
        author = await people.load_actor(session, "telegram", str(AUTHOR))
        audience = broadcasts.Audience(units=("86",), roles=(Role.MEMBER,))
        await broadcasts.create(session, author, text="Bản nháp", audience=audience, now=clock())
        pending = await broadcasts.create(session, author, text="Chờ duyệt", audience=audience, now=clock())
        await broadcasts.submit(session, author, pending.id, now=clock())
        await broadcasts.schedule(
            session, author, approved_not_released, clock() + timedelta(days=1), now=clock()
        )
    worker = await make_worker()
    assert await worker.drain() == []
    assert all(emu.messages(member) == [] for member in MEMBERS)
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 0


async def test_a_running_worker_is_woken_and_tells_the_author(community, make_worker, emu, session_factory):
    await community.people(MEMBERS, "C2", Role.OFFICER)
    told: list = []
    finished = asyncio.Event()

    async def tell(summary) -> None:
        told.append(summary)
        finished.set()

    worker = await make_worker(on_finished=tell, sleep=asyncio.sleep)
    await worker.start()
    try:
        broadcast_id = await community.broadcast("Kế hoạch tháng 12", roles=(Role.OFFICER,))
        worker.wake()
        await finished.wait()
    finally:
        await worker.stop()
    assert all(len(emu.messages(member)) == 1 for member in MEMBERS)
    [summary] = told
    assert summary.broadcast_id == broadcast_id and summary.author_chats == (("telegram", str(AUTHOR)),)
    assert summary.counts.sent == 50 and "Đã gửi: 50" in summary_text(summary)
    async with session_factory() as session:
        assert (await session.get(Broadcast, broadcast_id)).summary_sent_at is not None


# --------------------------------------------------------------------------- media and transport


async def test_photos_and_documents_go_out_as_uploads(community, make_worker, emu, session_factory, clock):
    await community.people([1001, 1002], "C1", Role.MEMBER)
    audience = broadcasts.Audience(units=("C1",), roles=(Role.MEMBER,))
    pdf = b"%PDF-1.4 ke hoach" * 100
    async with session_factory() as session, session.begin():
        author = await people.load_actor(session, "telegram", str(AUTHOR))
        approver = await people.load_actor(session, "telegram", "2")
        ids = []
        for media in ({"photo": Photo(TINY_PNG, "anh.png")}, {"document": Document(pdf, "Kế hoạch.pdf")}):
            item = await broadcasts.create(
                session, author, text="Kèm tệp", audience=audience, now=clock(), **media
            )
            await broadcasts.submit(session, author, item.id, now=clock())
            await broadcasts.approve(session, approver, item.id, now=clock())
            await broadcasts.send_now(session, approver, item.id, now=clock())
            ids.append(item.id)
    worker = await make_worker()
    await worker.drain()
    for member in (1001, 1002):
        photo, document = sorted(emu.messages(member), key=lambda m: m["photo"] is None)
        assert photo["caption"] == document["caption"] == "Kèm tệp"
        assert emu.file_bytes(photo["photo"]) == TINY_PNG
        assert emu.file_name(photo["photo"]) == "anh.png"  # the name it was given, not a MIME type
        assert emu.file_bytes(document["document"]["file_id"]) == pdf
        assert document["document"]["file_name"] == "Kế hoạch.pdf"


async def test_paid_broadcasts_say_so_on_every_message(community, make_worker, emu):
    await community.people([1001, 1002], "C1", Role.MEMBER)
    await community.broadcast()
    worker = await make_worker(limits=Limits(paid_broadcast=True))
    await worker.drain()
    sends = [params for name, params in emu.calls if name == "sendMessage"]
    assert len(sends) == 2 and all(params.get("allow_paid_broadcast") is True for params in sends)


async def test_the_aiohttp_transport_maps_network_failures_like_httpx(emu):
    """Connection refused → NetworkError; a server that never answers → TimedOut; an exhausted
    pool → TimedOut saying nothing was sent. Each outcome is certain, however slow the machine:
    the refusal is immediate, and the silent server and the held pool never give way."""
    silent = asyncio.Event()  # never set: getMe is held until the client gives up
    name, _ = emu._api["getme"]

    async def never_answer(params):
        await silent.wait()

    emu._api["getme"] = (name, never_answer)
    request = AiohttpRequest(connection_pool_size=1, pool_timeout=0.05, connect_timeout=None)
    async with request:
        with pytest.raises(NetworkError) as refused:
            await request.do_request(f"http://127.0.0.1:{_closed_port()}/bot1:x/getMe", "POST")
        assert "aiohttp.ClientConnectorError" in str(refused.value)
        try:
            with pytest.raises(TimedOut) as silence:
                await request.do_request(f"{emu.base_url}{TOKEN}/getMe", "POST", read_timeout=0.05)
        finally:
            silent.set()  # the held handler ends now rather than at the server's shutdown
        assert isinstance(map_error(silence.value), Transient)  # retried, like any network failure
        await request._acquire(None)  # someone else holds the only connection
        with pytest.raises(TimedOut) as pool:
            await request.do_request("http://127.0.0.1:9/bot1:x/getMe", "POST")
        assert "not* sent" in str(pool.value)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_two_workers_share_a_broadcast_and_send_nothing_twice(
    community, make_worker, emu, session_factory
):
    """On PostgreSQL the claims skip each other's locked rows; on SQLite they take turns."""
    members = range(1000, 1400)
    await community.people(members, "C1", Role.MEMBER)
    broadcast_id = await community.broadcast()
    config = OutboxConfig(flush_interval=0.01, batch_size=40, concurrency=8, poll_interval=0.05)
    workers = [
        await make_worker(config=config, sleep=asyncio.sleep, clock_=lambda: datetime.now(UTC))
        for _ in range(2)
    ]
    await asyncio.gather(*(worker.drain() for worker in workers))
    assert all(len(emu.messages(member)) == 1 for member in members)
    assert all(worker.sent > 0 for worker in workers) and sum(w.sent for w in workers) == 400
    async with session_factory() as session:
        assert (await session.get(Broadcast, broadcast_id)).status == BroadcastStatus.COMPLETED
