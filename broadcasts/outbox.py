"""The outbox dispatcher: claims deliveries, sends them within the limits, records what happened.

One `OutboxWorker` per process. Per platform a *lane* holds a queue of claimed rows and a fixed
pool of sending coroutines; one main loop does every database write (claims, results, leases),
so SQLite never sees our own writers competing. Results are written in batches (every
`flush_size` results or `flush_interval` seconds): one transaction per message would cap the
rate at the database's commit rate.

Crash safety: a claimed row carries a lease (`claimed_until`); a worker that dies stops
renewing it and another worker (or the same process restarted) takes the row when it runs
out. What can be sent twice is bounded by what was in flight or waiting to be recorded.

Errors follow the one taxonomy (`bot.core.sending`): throttled → pause and retry later (not
an attempt); transient → exponential backoff, then failed; recipient gone → unreachable, and
the identity or linked chat is marked; chat migrated → new chat id, resend; rejected → failed.
A delivery for a platform this deployment has no sender for fails too (`no_sender`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.messages import Choice, Document, Outgoing, Photo
from bot.core.meter import NO_METER, Meter
from bot.core.sending import ChatMigrated, RecipientGone, Rejected, Sender, SendError, Throttled, Transient
from broadcasts import store
from broadcasts.limits import Limits, SendBudget
from broadcasts.polls import polls_for_broadcasts, vote_choices
from broadcasts.store import Claimed, Kind, Outcome
from broadcasts.summary import (
    BroadcastSummary,
    audit_completed,
    build_summary,
    claim_telling,
    release_telling,
    untold,
)
from storage.models import Broadcast

T = TypeVar("T")

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OutboxConfig:
    """Tuning of the dispatcher; the defaults suit one process sending to Telegram."""

    batch_size: int = 500  # rows claimed at once per platform (fewer when paced: see _Lane)
    concurrency: int = 128  # sends in flight per platform when unpaced
    lease_seconds: float = 120.0  # a dead worker's rows come back after this
    flush_size: int = 50  # results written per transaction at most
    flush_interval: float = 0.01  # seconds a result may wait to be written
    max_unrecorded: int = 100  # sends pause while this many results wait to be written
    poll_interval: float = 2.0  # seconds between looks for work released by other processes
    check_interval: float = 0.5  # seconds between checks that queued broadcasts were not stopped
    max_attempts: int = 5  # transient failures before a delivery fails
    backoff_base: float = 2.0  # seconds before the first retry; doubles each time
    backoff_max: float = 300.0
    defer_threshold: float = 5.0  # a chat busy for longer than this is retried later, freeing the worker


@dataclass(frozen=True)
class _Copies:
    """A broadcast's message, and the officers' copy offering "shared into Zalo groups" (content only)."""

    plain: Outgoing
    shared: Outgoing | None


class _Lane:
    """One platform: its sender, its pacer, a queue of claimed rows and the coroutines sending them."""

    def __init__(self, platform: str, sender: Sender, pacer: SendBudget, config: OutboxConfig) -> None:
        self.platform = platform
        self.sender = sender
        self.pacer = pacer
        if pacer.enabled:
            # In flight never exceeds the overall rate (a slot is busy for a second after each
            # send), so more workers would only wait; a small queue keeps a stop quick.
            rate = max(1, int(pacer.limits.overall_rate))
            self.concurrency = min(config.concurrency, rate + 2)
            self.batch = min(config.batch_size, max(2 * self.concurrency, 10))
        else:
            self.concurrency = config.concurrency
            self.batch = config.batch_size
        self.low_water = self.batch // 2
        self.queue: asyncio.Queue[Claimed] = asyncio.Queue()
        self.in_flight = 0
        self.dry = False  # the last claim found less than it asked for: wait for news before asking again

    @property
    def busy(self) -> bool:
        return self.in_flight > 0 or not self.queue.empty()


class OutboxWorker:
    """Sends every pending delivery of `sending` broadcasts; `start()`/`stop()` or `drain()`."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        senders: Mapping[str, Sender],
        *,
        pacers: Mapping[str, SendBudget] | None = None,
        config: OutboxConfig | None = None,
        clock: Clock = _utc_now,
        sleep: Sleep = asyncio.sleep,
        on_finished: Callable[[BroadcastSummary], Awaitable[None]] | None = None,
        worker_id: str | None = None,
        share_choice: Callable[[int], Choice] | None = None,
        meter: Meter = NO_METER,
    ) -> None:
        self._sessions = session_factory
        self._meter = meter
        # The option an officer's copy of content carries (`broadcasts.shares`), worded by the root.
        self._share_choice = share_choice
        self._config = config or OutboxConfig()
        self._clock = clock
        self._sleep = sleep
        self._on_finished = on_finished
        self.worker_id = worker_id or uuid.uuid4().hex[:16]
        pacers = pacers or {}
        self._lanes = [
            _Lane(platform, sender, pacers.get(platform) or SendBudget(Limits(enabled=False)), self._config)
            for platform, sender in senders.items()
        ]
        self._kick = asyncio.Event()
        self._results: list[Outcome] = []
        self._writing = 0  # results in the transaction being written now
        self._room = asyncio.Event()  # set while sent-but-unrecorded results are under the cap
        self._room.set()
        self._first_result_at = 0.0
        self._held: dict[int, Claimed] = {}
        self._messages: dict[int, _Copies] = {}  # broadcast id -> its copies
        self._stopped: set[int] = set()
        self._renewed_at: datetime | None = None
        self._checked_at = 0.0
        self._maintained_at = 0.0
        self._stopping = False
        self._stop_timeout = 10.0
        self._claimed_since_idle = True  # a restart under the same worker_id may find claims of ours
        self._task: asyncio.Task[list[BroadcastSummary]] | None = None
        self._collect = False  # drain() returns the summaries; a long-lived worker keeps none
        self._summaries: list[BroadcastSummary] = []
        self.sent = 0  # messages recorded as sent by this worker (for logs and benchmarks)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Run until stop(): picks up everything unfinished (expired leases included) at once."""
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(drain=False), name=f"outbox-{self.worker_id}")

    async def stop(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 (bounds the graceful part)
        """Stop claiming, let sends in flight finish (up to `timeout`), record them, give back the rest."""
        if self._task is None:
            return
        self._stopping = True
        self._stop_timeout = timeout
        self._kick.set()
        task, self._task = self._task, None
        await task
        log.info("outbox: stopped; this process recorded %s messages sent", self.sent)

    def wake(self) -> None:
        """A broadcast was released (or something else changed): look for work now."""
        for lane in self._lanes:
            lane.dry = False
        self._kick.set()

    def broadcast_stopped(self, broadcast_id: int) -> None:
        """The broadcast was stopped in this process: drop its queued rows now.

        Stops made elsewhere (the CLI, another process) are noticed within `check_interval`.
        """
        self._stopped.add(broadcast_id)

    async def drain(self) -> list[BroadcastSummary]:
        """Work until no delivery of a sending broadcast is pending; returns the summaries produced.

        Sleeps (through the injected `sleep`) until deferred rows fall due, so with a fake clock
        a test walks through backoffs and limits in no real time.
        """
        self._stopping = False
        return await self._run(drain=True)

    # ------------------------------------------------------------------ the main loop

    async def _run(self, *, drain: bool) -> list[BroadcastSummary]:
        self._summaries, self._collect = [], drain
        senders = [
            asyncio.create_task(self._send_loop(lane))
            for lane in self._lanes
            for _ in range(lane.concurrency)
        ]
        try:
            while not self._stopping:
                try:
                    if await self._step(drain):
                        break
                except Exception:
                    log.exception("outbox: a database step failed; trying again shortly")
                    self._meter.database_error("outbox")
                    await self._idle_wait(self._config.poll_interval)
            if self._stopping:
                await self._wind_down(senders)
            return self._summaries
        finally:
            for task in senders:
                task.cancel()
            await asyncio.gather(*senders, return_exceptions=True)

    async def _step(self, drain: bool) -> bool:
        """One turn: write results, keep leases, claim more; when idle, finish and wait. True: drained."""
        await self._flush()
        await self._maintain()
        await self._refill()
        if any(lane.busy for lane in self._lanes):
            await self._wait(self._config.flush_interval)
            return False
        await self._flush(force=True)
        await self._release_mine()
        await self._fail_without_sender()
        await self._finish(await self._with_session(store.sending_without_pending))
        await self._send_due_summaries()
        now = self._clock()
        due = await self._with_session(
            lambda s: store.next_due(s, [lane.platform for lane in self._lanes], now=now)
        )
        for lane in self._lanes:
            lane.dry = False
        if due is None:
            if drain:
                return True
            await self._idle_wait(self._config.poll_interval)
            return False
        delay = (due - now).total_seconds()
        if delay > 0:
            # Capped: rows leased by another worker may come back (or finish) long before the lease ends.
            await self._idle_wait(min(delay, self._config.poll_interval))
        else:
            await asyncio.sleep(0.005)  # due now but not claimable (another worker's claim in progress)
        return False

    async def _wait(self, timeout: float) -> None:  # noqa: ASYNC109
        """Wait for a kick from a sender (results to write, queue running low) or `timeout` seconds."""
        if not self._kick.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._kick.wait()
        self._kick.clear()

    async def _idle_wait(self, seconds: float) -> None:
        """Nothing to do for `seconds` (on the injected clock), unless woken."""
        sleeper = asyncio.ensure_future(self._sleep(seconds))
        kicked = asyncio.ensure_future(self._kick.wait())
        try:
            await asyncio.wait({sleeper, kicked}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for future in (sleeper, kicked):
                future.cancel()
        self._kick.clear()

    async def _with_session(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with self._sessions() as session, session.begin():
            return await work(session)

    # ------------------------------------------------------------------ claiming

    async def _refill(self) -> None:
        for lane in self._lanes:
            if self._stopping or lane.dry or lane.queue.qsize() > lane.low_water:
                continue
            want = lane.batch - lane.queue.qsize()
            now = self._clock()
            lease_until = now + timedelta(seconds=self._config.lease_seconds)
            async with self._sessions() as session, session.begin():
                rows = await store.claim(
                    session,
                    platform=lane.platform,
                    worker_id=self.worker_id,
                    now=now,
                    lease_until=lease_until,
                    limit=want,
                )
                await self._load_messages(session, {row.broadcast_id for row in rows})
            if self._renewed_at is None:
                self._renewed_at = now
            self._claimed_since_idle = self._claimed_since_idle or bool(rows)
            lane.dry = len(rows) < want
            for row in rows:
                self._held[row.id] = row
                lane.queue.put_nowait(row)

    async def _load_messages(self, session: AsyncSession, broadcast_ids: set[int]) -> None:
        """The neutral message of each broadcast, built once and shared by all its deliveries."""
        missing = sorted(broadcast_ids - self._messages.keys())
        if not missing:
            return
        rows = await session.execute(
            select(
                Broadcast.id, Broadcast.text, Broadcast.media_kind, Broadcast.media_name, Broadcast.media,
                Broadcast.html,
            ).where(Broadcast.id.in_(missing))
        )
        polls = await polls_for_broadcasts(session, set(missing))
        for broadcast_id, text, kind, name, data, html in rows:
            photo = Photo(data, name or "image.png") if kind == "photo" and data is not None else None
            document = (
                Document(data, name or "tep-dinh-kem") if kind == "document" and data is not None else None
            )
            poll = polls.get(broadcast_id)
            choices = vote_choices(poll.id, poll.options) if poll is not None else ()
            plain = Outgoing(
                text, photo=photo, document=document, choices=choices, html=html, key=f"broadcast:{broadcast_id}"
            )
            shared = (
                replace(plain, choices=(self._share_choice(broadcast_id),))
                if poll is None and self._share_choice is not None
                else None
            )
            self._messages[broadcast_id] = _Copies(plain, shared)

    async def _maintain(self) -> None:
        """Renew leases on what we hold; drop queued rows of broadcasts that were stopped."""
        now, tick = self._clock(), time.monotonic()
        lease = timedelta(seconds=self._config.lease_seconds)
        if self._held and self._renewed_at is not None and now >= self._renewed_at + lease / 3:
            ids = sorted(self._held)
            await self._with_session(
                lambda s: store.renew_leases(s, ids, worker_id=self.worker_id, lease_until=now + lease)
            )
            self._renewed_at = now
        if self._held and tick - self._checked_at >= self._config.check_interval:
            self._checked_at = tick
            held_broadcasts = {row.broadcast_id for row in self._held.values()}
            stopped = await self._with_session(lambda s: store.not_sending(s, held_broadcasts))
            self._stopped |= stopped
        if tick - self._maintained_at >= self._config.poll_interval:
            self._maintained_at = tick
            for lane in self._lanes:
                lane.dry = False

    async def _release_mine(self) -> None:
        """Idle, we hold nothing: clear any claim of ours a lost result may have left behind."""
        self._held.clear()
        if not self._claimed_since_idle:
            return
        self._claimed_since_idle = False
        await self._with_session(lambda s: store.release_worker(s, self.worker_id))

    # ------------------------------------------------------------------ sending

    async def _send_loop(self, lane: _Lane) -> None:
        while True:
            await self._wait_for_room()
            row = await lane.queue.get()
            if row.broadcast_id in self._stopped:
                self._held.pop(row.id, None)
                self._nudge(lane)
                continue
            lane.in_flight += 1
            try:
                outcome = await self._deliver(lane, row)
            finally:
                lane.in_flight -= 1
            if not self._results:
                self._first_result_at = time.monotonic()
            self._results.append(outcome)
            self._nudge(lane)

    async def _wait_for_room(self) -> None:
        """Backpressure: what a crash can send twice is bounded by in flight plus `max_unrecorded`.

        (If the database stops accepting results, sending stops too: nothing is sent that
        could not be recorded.)
        """
        while len(self._results) + self._writing >= self._config.max_unrecorded:
            self._room.clear()
            self._kick.set()
            await self._room.wait()

    def _nudge(self, lane: _Lane) -> None:
        size = lane.queue.qsize()
        if (
            len(self._results) >= self._config.flush_size
            or size == lane.low_water
            or (size == 0 and lane.in_flight == 0)
        ):
            self._kick.set()

    async def _deliver(self, lane: _Lane, row: Claimed) -> Outcome:
        """Send one delivery and classify what happened; never raises (but is cancellable)."""
        pacer = lane.pacer
        await pacer.wait_unpaused()
        busy_for = pacer.chat_wait(row.chat_id, group=row.group)
        if busy_for > self._config.defer_threshold:
            return self._later(row, Kind.DEFER, "busy", None, busy_for)
        try:
            message_id = await lane.sender.send(row.chat_id, self._message_for(row))
        except Throttled as exc:
            pacer.pause(exc.retry_after)
            return self._later(row, Kind.DEFER, "throttled", exc.reason, exc.retry_after)
        except ChatMigrated as exc:
            return Outcome(row, Kind.MIGRATED, reason="migrated", new_chat_id=exc.new_chat_id)
        except RecipientGone as exc:
            return Outcome(row, Kind.UNREACHABLE, reason="gone", detail=exc.reason)
        except Rejected as exc:
            return Outcome(row, Kind.FAILED, reason="rejected", detail=exc.reason)
        except Transient as exc:
            return self._retry(row, "transient", exc.reason)
        except SendError as exc:
            return Outcome(row, Kind.FAILED, reason="rejected", detail=exc.reason)
        except Exception as exc:
            log.exception("outbox: unexpected error sending delivery %s", row.id)
            return self._retry(row, "error", type(exc).__name__)
        return Outcome(row, Kind.SENT, message_id=message_id or None)

    def _message_for(self, row: Claimed) -> Outgoing:
        """The broadcast's message; an officer's copy of content offers "shared into Zalo groups"."""
        copies = self._messages[row.broadcast_id]
        return copies.shared if row.offers_share and copies.shared is not None else copies.plain

    def _retry(self, row: Claimed, reason: str, detail: str) -> Outcome:
        attempts = row.attempts + 1
        if attempts >= self._config.max_attempts:
            return Outcome(row, Kind.FAILED, reason=reason, detail=detail)
        delay = min(self._config.backoff_max, self._config.backoff_base * 2 ** (attempts - 1))
        return self._later(row, Kind.RETRY, reason, detail, delay)

    def _later(self, row: Claimed, kind: str, reason: str, detail: str | None, seconds: float) -> Outcome:
        due = self._clock() + timedelta(seconds=seconds)
        return Outcome(row, kind, reason=reason, detail=detail, next_attempt_at=due)

    # ------------------------------------------------------------------ recording and finishing

    async def _flush(self, *, force: bool = False) -> None:
        """Write buffered results in one transaction, finish broadcasts that are done."""
        if not self._results:
            return
        due = time.monotonic() - self._first_result_at >= self._config.flush_interval
        if not (force or due or len(self._results) >= self._config.flush_size):
            return
        batch, self._results = self._results, []
        self._writing = len(batch)
        now = self._clock()
        try:
            async with self._sessions() as session, session.begin():
                recorded = await store.record(session, batch, now=now)
                finished = await store.finish_done(session, recorded.broadcast_ids, now=now)
                audit_completed(session, finished, now)
        except BaseException:
            self._results[:0] = batch  # written next time (or, after a crash, sent again: at most this batch)
            raise
        finally:
            self._writing = 0
            if len(self._results) < self._config.max_unrecorded:
                self._room.set()
        for outcome in batch:
            self._held.pop(outcome.delivery.id, None)
            self._meter.outbox_result(outcome.delivery.platform, outcome.kind, outcome.reason)
        self.sent += recorded.sent
        if any(o.kind in (Kind.MIGRATED, Kind.DEFER, Kind.RETRY) for o in batch):
            for lane in self._lanes:
                lane.dry = False
        await self._summarise(finished)

    async def _fail_without_sender(self) -> None:
        """Deliveries for a platform with no lane here (e.g. Facebook Pages without PAGE_TOKEN_KEY)
        fail with the reason `no_sender`, so their broadcast completes and its author is told.
        Every process of a deployment runs with the same settings (README, "Several processes"),
        so a platform this worker cannot send to is one nobody here can."""
        now = self._clock()
        platforms = [lane.platform for lane in self._lanes]
        failed = await self._with_session(lambda s: store.fail_without_sender(s, platforms, now=now))
        for _broadcast_id, platform in failed:
            self._meter.outbox_result(platform, Kind.FAILED, store.NO_SENDER)
        if failed:
            log.warning("outbox: %s deliveries failed: no sender for %s in this deployment",
                        len(failed), ", ".join(sorted({platform for _, platform in failed})))

    async def _finish(self, broadcast_ids: list[int]) -> None:
        if not broadcast_ids:
            return
        now = self._clock()
        async with self._sessions() as session, session.begin():
            finished = await store.finish_done(session, broadcast_ids, now=now)
            audit_completed(session, finished, now)
        await self._summarise(finished)

    async def _summarise(self, broadcast_ids: list[int]) -> None:
        for broadcast_id in broadcast_ids:
            self._messages.pop(broadcast_id, None)
            summary = await self._with_session(partial(build_summary, broadcast_id=broadcast_id))
            if self._collect:
                self._summaries.append(summary)
            await self._tell_author(summary)

    async def _send_due_summaries(self) -> None:
        """Authors not told yet (a crash between finishing and telling, or a stopped broadcast)."""
        if self._on_finished is None:
            return
        now = self._clock()
        ids = await self._with_session(partial(untold, now=now))
        for broadcast_id in ids:
            self._messages.pop(broadcast_id, None)
            summary = await self._with_session(partial(build_summary, broadcast_id=broadcast_id))
            await self._tell_author(summary)

    async def _tell_author(self, summary: BroadcastSummary) -> None:
        if self._on_finished is None:
            return
        now = self._clock()
        if not await self._with_session(lambda s: claim_telling(s, summary.broadcast_id, now)):
            return  # another process tells (or told) the author
        try:
            await self._on_finished(summary)
        except Exception:
            log.exception("outbox: could not tell the author of broadcast %s", summary.broadcast_id)
            await self._with_session(lambda s: release_telling(s, summary.broadcast_id))

    async def _wind_down(self, senders: list[asyncio.Task[None]]) -> None:
        """Graceful stop: give back queued rows, wait for sends in flight, write their results."""
        queued = []
        for lane in self._lanes:
            while not lane.queue.empty():
                queued.append(lane.queue.get_nowait().id)
        for row_id in queued:
            self._held.pop(row_id, None)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._stop_timeout):
                while any(lane.in_flight for lane in self._lanes):
                    await self._wait(self._config.flush_interval)
        async with self._sessions() as session, session.begin():
            await store.release(session, queued)
        await self._flush(force=True)
