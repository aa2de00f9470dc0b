"""One sending budget per bot token, so the platform never has to say "too many".

Telegram documents roughly 30 messages a second overall, one a second per private chat and
20 a minute per group or channel (shared/api/telegram-zalo-facts.md, section 3), and counts
*every* message of a token against them: a reply, a notice, a reminder and a broadcast alike.
So one `SendBudget` per token (per platform) is shared by every sender of that token in the
process: the interactive bot (replies, notices, reminders) and the outbox's bot.

Telegram counts a message when it *receives* it, somewhere between the moment we start the
request and the moment its answer arrives. A slot therefore stays busy while its request is in
flight and for one period after the answer: however the requests are timed on the wire, no
window of the server's can then hold more than the limit of this process's sends.

**Interactive first.** A send says whether a person waits for it (`interactive=True`: replies,
notices, reminders) or not (the outbox). Waiting senders queue for the overall window; when a
slot frees, a waiting interactive send always gets it before any broadcast message, and while
people have been chatting in the last `RESERVE_SECONDS` the outbox leaves `reserve` slots of
each second unused, so that a reply rarely has to wait for a slot at all (it then waits only for
its own chat's one message a second). Nobody polls: a waiter sleeps (on the injected `sleep`)
until the next slot frees, or waits for an event when every slot is in flight.

**Across processes** (several `python -m bot run` on one PostgreSQL database), a `Timeline`
shared through the database hands out start times spaced by the overall rate (see
`broadcasts.shared_budget`); a send then needs both a slot of its own process's window and a
start time of the shared timeline. Per-chat windows stay in the process: a broadcast's row is
claimed by one process at a time, and a person's replies come from the process that handles
their update.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Protocol

log = logging.getLogger(__name__)

PAID_OVERALL_PER_SECOND = 1000.0  # Telegram's paid broadcasts (allow_paid_broadcast), 0.1 Star a message
RESERVE_SECONDS = 10.0  # the outbox leaves the reserve free this long after the last interactive send
SHARED_HEADROOM = 0.9  # the shared timeline spaces starts at 90 % of the rate (jitter between processes)
SHARED_HORIZON = 0.2  # seconds of start times a process reserves at most at once
MIN_SLEEP = 0.001  # a wait sleeps at least this long: a clock that rounds (to µs) cannot make it spin
_PRUNE_EVERY = 1024  # releases between sweeps of idle per-chat windows


@dataclass(frozen=True)
class Limits:
    """Send-rate limits of one platform. Defaults: Telegram's documented behaviour."""

    enabled: bool = True  # False: no pacing at all (an emulator without limits, benchmarks)
    overall_per_second: float = 30.0
    private_chat_per_second: float = 1.0
    group_per_minute: float = 20.0  # groups, supergroups and channels alike
    paid_broadcast: bool = False  # raises the overall rate to PAID_OVERALL_PER_SECOND

    @property
    def overall_rate(self) -> float:
        return PAID_OVERALL_PER_SECOND if self.paid_broadcast else self.overall_per_second

    @classmethod
    def zalo(cls, per_second: float = 5.0) -> Limits:
        """A placeholder until Zalo's Bot API publishes its limits: a conservative overall rate."""
        return cls(overall_per_second=per_second, private_chat_per_second=1.0, group_per_minute=20.0)

    def without_pacing(self) -> Limits:
        return replace(self, enabled=False)


class Timeline(Protocol):
    """Start times shared by every process sending with one token (`broadcasts.shared_budget`)."""

    async def reserve(self, count: int, spacing: float) -> list[float]:
        """`count` start times, `spacing` seconds apart and after every earlier reservation, on the
        caller's clock (the budget's `clock`)."""
        ...

    async def hold(self, until: float) -> None:
        """Nothing starts before `until` (caller's clock), in any process: the platform said 429."""
        ...


class _Window:
    """At most `limit` sends per `period`: a slot is busy in flight and for `period` after it ends."""

    __slots__ = ("ends", "in_flight", "limit", "period")

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.in_flight = 0
        self.ends: deque[float] = deque()  # completion times, oldest first

    def free_at(self, now: float, limit: int | None = None) -> float | None:
        """`now` if one of `limit` slots is free, else when the next one frees; None if only the
        end of a request in flight can free one."""
        limit = self.limit if limit is None else limit
        ends = self.ends
        horizon = now - self.period
        while ends and ends[0] <= horizon:
            ends.popleft()
        busy = self.in_flight + len(ends)
        if busy < limit:
            return now
        index = busy - limit  # this many more ends must expire, oldest first
        return ends[index] + self.period if index < len(ends) else None

    @property
    def idle(self) -> bool:
        return self.in_flight == 0 and not self.ends


@dataclass(eq=False)
class _Waiter:
    chat_key: str
    group: bool
    granted: asyncio.Future[bool]
    at: float = 0.0  # when the slot was given, on the budget's clock


class SendBudget:
    """Every send of one token in this process goes through `slot()`; safe across asyncio tasks.

    `clock` and `sleep` are injectable: tests drive them from a fake clock that the emulator
    shares, so a minute of group limits passes in no real time. `shared` (PostgreSQL) makes
    several processes share the overall rate; `reserve` is the number of slots a second the
    outbox leaves to interactive sends while people are chatting.
    """

    def __init__(
        self,
        limits: Limits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        shared: Timeline | None = None,
        reserve: int | None = None,
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._sleep = sleep
        rate = _whole(limits.overall_rate)
        self._overall = _Window(rate, 1.0) if limits.enabled else None
        self.reserve = min(rate - 1, max(1, rate // 10)) if reserve is None else min(reserve, rate - 1)
        self._chats: dict[str, _Window] = {}
        self._paused_until = 0.0
        self._ended = asyncio.Event()
        self._releases = 0
        self._waiting: dict[bool, deque[_Waiter]] = {True: deque(), False: deque()}
        self._interactive_at = -math.inf
        self._timer: asyncio.Task[None] | None = None
        self._timer_at = math.inf
        self._shared = shared if limits.enabled else None
        self._spacing = 1.0 / (limits.overall_rate * SHARED_HEADROOM)
        self._grace = self._spacing / 2  # a shared start time unused this long after it is lost
        self._batch = max(1, math.ceil(limits.overall_rate * SHARED_HORIZON))
        self._starts: deque[float] = deque()  # reserved shared start times, on our clock
        self._reserving: asyncio.Task[None] | None = None
        self._holding: set[asyncio.Task[None]] = set()
        self.granted = {True: 0, False: 0}  # slots given, interactive and not (for benchmarks and logs)

    @property
    def enabled(self) -> bool:
        return self.limits.enabled

    @property
    def shared(self) -> bool:
        return self._shared is not None

    @asynccontextmanager
    async def slot(self, chat_key: str, *, group: bool, interactive: bool = False) -> AsyncIterator[float]:
        """Hold a send slot for one API call to `chat_key` (waits until the limits allow it).

        `interactive`: someone is waiting for this message (a reply, a notice, a reminder); it
        goes before every broadcast message that waits. Yields the time the slot was given (on
        the budget's clock; the task may resume a little later).
        """
        windows, at = await self._acquire(chat_key, group, interactive)
        try:
            yield at
        finally:
            self._release(windows)

    def pause(self, seconds: float) -> None:
        """The platform answered 429: nothing is sent for `seconds` (as Telegram asks of the bot)."""
        until = self._clock() + max(0.0, seconds)
        if until <= self._paused_until:
            return
        self._paused_until = until
        self._starts.clear()  # reserved before the pause: too early now
        if self._shared is not None:
            task = asyncio.get_running_loop().create_task(self._hold(until))
            self._holding.add(task)
            task.add_done_callback(self._holding.discard)

    async def wait_unpaused(self) -> None:
        while (delay := self._paused_until - self._clock()) > 0:
            await self._nap(delay)

    def chat_wait(self, chat_key: str, *, group: bool) -> float:
        """Seconds until `chat_key` may get a message (an estimate when all its slots are in flight)."""
        if not self.enabled:
            return 0.0
        window = self._chats.get(chat_key)
        if window is None:
            return 0.0
        now = self._clock()
        free = window.free_at(now)
        return window.period if free is None else free - now

    async def close(self) -> None:
        """Stop the timer and any reservation in progress (the app's stop)."""
        tasks = [t for t in (self._timer, self._reserving, *self._holding) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._timer = self._reserving = None

    # ------------------------------------------------------------------ acquiring

    async def _acquire(self, chat_key: str, group: bool, interactive: bool) -> tuple[tuple[_Window, ...], float]:
        if self._overall is None:
            await self.wait_unpaused()
            return (), self._clock()
        if interactive:
            self._interactive_at = self._clock()
        while True:
            await self._chat_free(self._chat_window(chat_key, group))
            waiter = _Waiter(chat_key, group, asyncio.get_running_loop().create_future())
            self._waiting[interactive].append(waiter)
            self._pump()
            try:
                granted = await waiter.granted
            except asyncio.CancelledError:
                future = waiter.granted
                if future.done() and not future.cancelled() and future.result():
                    self._release((self._overall, self._chat_window(chat_key, group)))
                raise
            if granted:
                return (self._overall, self._chat_window(chat_key, group)), waiter.at

    async def _chat_free(self, chat: _Window) -> None:
        """Wait on our own until the chat may get a message and no pause holds."""
        while True:
            now = self._clock()
            if self._paused_until > now:
                await self._nap(self._paused_until - now)
                continue
            free = chat.free_at(now)
            if free == now:
                return
            if free is None:
                await self._ended.wait()  # a request to this chat in flight must end first
            else:
                await self._nap(free - now)

    async def _nap(self, seconds: float) -> None:
        await self._sleep(max(seconds, MIN_SLEEP))

    def _pump(self) -> None:
        """Give free slots to waiters, interactive ones first; else arrange to be called again."""
        overall = self._overall
        if overall is None:
            return
        while True:
            interactive = bool(self._waiting[True])
            queue = self._waiting[interactive]
            while queue and queue[0].granted.done():  # cancelled while waiting
                queue.popleft()
            if not queue:
                if interactive:
                    continue  # the interactive queue held only cancelled waiters: look at the other
                return
            now = self._clock()
            if self._paused_until > now:
                self._arm(self._paused_until)
                return
            free = overall.free_at(now, overall.limit if interactive else self._bulk_limit(now))
            if free != now:
                if free is not None:
                    self._arm(free)
                return  # None: a release will pump again
            if not self._shared_start(now):
                return
            waiter = queue.popleft()
            chat = self._chat_window(waiter.chat_key, waiter.group)  # looked up again: idle ones are pruned
            if chat.free_at(now) != now:  # taken meanwhile (a reply and a broadcast to one chat)
                waiter.granted.set_result(False)
                continue
            if self._shared is not None:
                self._starts.popleft()
            overall.in_flight += 1
            chat.in_flight += 1
            self.granted[interactive] += 1
            waiter.at = now
            waiter.granted.set_result(True)

    def _bulk_limit(self, now: float) -> int:
        """The outbox's share of the window: all of it, or all but the reserve while people chat."""
        assert self._overall is not None
        limit = self._overall.limit
        return limit - self.reserve if now - self._interactive_at < RESERVE_SECONDS else limit

    def _shared_start(self, now: float) -> bool:
        """True when a shared start time is due now; else arranges a timer or a reservation."""
        if self._shared is None:
            return True
        starts = self._starts
        while starts and starts[0] + self._grace < now:
            starts.popleft()  # missed: a later send at that time could crowd the next process's
        if starts and starts[0] <= now:
            if len(starts) == 1:
                self._reserve()  # the next ones, while this one is used
            return True
        if starts:
            self._arm(starts[0])
        else:
            self._reserve()
        return False

    def _reserve(self) -> None:
        if self._reserving is not None or self._shared is None:
            return
        waiting = sum(len(queue) for queue in self._waiting.values())
        count = max(1, min(self._batch, waiting))
        self._reserving = asyncio.get_running_loop().create_task(self._reserve_now(self._shared, count))

    async def _reserve_now(self, shared: Timeline, count: int) -> None:
        try:
            starts = await shared.reserve(count, self._spacing)
        except Exception:
            # The database is away: nothing is sent that the shared budget did not allow.
            log.warning("send budget: no start times from the shared timeline; trying again in 1 s", exc_info=True)
            await self._sleep(1.0)
            self._reserving = None
            self._pump()
            return
        self._reserving = None
        self._starts.extend(t for t in starts if t >= self._paused_until)
        self._pump()

    async def _hold(self, until: float) -> None:
        assert self._shared is not None
        with contextlib.suppress(Exception):
            await self._shared.hold(until)

    def _arm(self, at: float) -> None:
        """Pump again at `at` (one timer: the earliest wins)."""
        if self._timer is not None and not self._timer.done() and self._timer_at <= at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = at
        self._timer = asyncio.get_running_loop().create_task(self._wake_at(at))

    async def _wake_at(self, at: float) -> None:
        delay = at - self._clock()
        if delay > 0:
            await self._nap(delay)
        self._timer, self._timer_at = None, math.inf
        self._pump()

    # ------------------------------------------------------------------ releasing

    def _release(self, windows: tuple[_Window, ...]) -> None:
        if not windows:
            return
        now = self._clock()
        for window in windows:
            window.in_flight -= 1
            window.ends.append(now)
        ended, self._ended = self._ended, asyncio.Event()
        ended.set()
        self._releases += 1
        if self._releases % _PRUNE_EVERY == 0:
            self._prune(now)
        self._pump()

    def _chat_window(self, chat_key: str, group: bool) -> _Window:
        window = self._chats.get(chat_key)
        if window is None:
            limits = self.limits
            window = (
                _Window(_whole(limits.group_per_minute), 60.0)
                if group
                else _Window(_whole(limits.private_chat_per_second), 1.0)
            )
            self._chats[chat_key] = window
        return window

    def _prune(self, now: float) -> None:
        """Forget chats with nothing in flight or in their window: 100,000 recipients, bounded memory."""
        for key, window in list(self._chats.items()):
            window.free_at(now)  # drops ends older than the period
            if window.idle:
                del self._chats[key]


def _whole(rate: float) -> int:
    """Windows count whole messages; a fractional rate rounds down (never above the limit)."""
    return max(1, math.floor(rate))
