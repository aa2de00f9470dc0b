"""Pacing sends within a platform's rate limits, so the platform never has to say "too many".

Telegram documents roughly 30 messages a second overall, one a second per private chat and
20 a minute per group or channel (shared/api/telegram-zalo-facts.md, section 3). Telegram
counts a message when it *receives* it, somewhere between the moment we start the request and
the moment its answer arrives. A `Pacer` therefore keeps a slot busy while its request is in
flight and for one period after the answer: however the requests are timed on the wire, no
window of the server's can then hold more than the limit. The cost is one round trip per
period (30 per 1.005 s on a 5 ms link), which is why the achieved rate stays close to the limit.

The pacer is platform-neutral: the channel adapter calls `slot()` around every API call that
sends (below the `Sender`, so the parts of a long text are paced one by one), and the outbox
asks `chat_wait()` before it spends a worker on a chat that will not be free for long.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

PAID_OVERALL_PER_SECOND = 1000.0  # Telegram's paid broadcasts (allow_paid_broadcast), 0.1 Star a message
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


class _Window:
    """At most `limit` sends per `period`: a slot is busy in flight and for `period` after it ends."""

    __slots__ = ("ends", "in_flight", "limit", "period")

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.in_flight = 0
        self.ends: deque[float] = deque()  # completion times, oldest first

    def free_at(self, now: float) -> float | None:
        """`now` if a slot is free, else when the next one frees; None if every slot is in flight."""
        ends = self.ends
        horizon = now - self.period
        while ends and ends[0] <= horizon:
            ends.popleft()
        if self.in_flight + len(ends) < self.limit:
            return now
        return ends[0] + self.period if ends else None

    @property
    def idle(self) -> bool:
        return self.in_flight == 0 and not self.ends


class Pacer:
    """Shared by every send of one platform in this process; safe across asyncio tasks.

    `clock` and `sleep` are injectable: tests drive them from a fake clock that the emulator
    shares, so a minute of group limits passes in no real time.
    """

    def __init__(
        self,
        limits: Limits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._sleep = sleep
        self._overall = _Window(_whole(limits.overall_rate), 1.0) if limits.enabled else None
        self._chats: dict[str, _Window] = {}
        self._paused_until = 0.0
        self._ended = asyncio.Event()
        self._releases = 0

    @property
    def enabled(self) -> bool:
        return self.limits.enabled

    @asynccontextmanager
    async def slot(self, chat_key: str, *, group: bool) -> AsyncIterator[None]:
        """Hold a send slot for one API call to `chat_key` (waits until the limits allow it)."""
        windows = await self._acquire(chat_key, group)
        try:
            yield
        finally:
            self._release(windows)

    def pause(self, seconds: float) -> None:
        """The platform answered 429: nothing is sent for `seconds` (as Telegram asks of the bot)."""
        self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))

    async def wait_unpaused(self) -> None:
        while (delay := self._paused_until - self._clock()) > 0:
            await self._sleep(delay)

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

    async def _acquire(self, chat_key: str, group: bool) -> tuple[_Window, ...]:
        while True:
            now = self._clock()
            if self._paused_until > now:
                await self._sleep(self._paused_until - now)
                continue
            if self._overall is None:
                return ()
            windows = (self._overall, self._chat_window(chat_key, group))
            free = [window.free_at(now) for window in windows]
            if all(at == now for at in free):
                for window in windows:
                    window.in_flight += 1
                return windows
            known = [at for at in free if at is not None]
            if len(known) < len(free):
                await self._ended.wait()  # a request in flight must end first
            else:
                await self._sleep(max(known) - now)

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
