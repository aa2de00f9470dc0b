"""The two ways a Bot API call fails on purpose: Telegram's flood limits and faults scripted by tests."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from bot.emulator.telegram.wire import JSON, ApiError


class SlidingWindow:
    """At most ``limit`` events per ``period`` seconds; tells how long to wait for the next one."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self._hits: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        while self._hits and self._hits[0] <= now - self.period:
            self._hits.popleft()
        return 0.0 if len(self._hits) < self.limit else self._hits[0] + self.period - now

    def hit(self, now: float) -> None:
        self._hits.append(now)


class RateLimits:
    """Sliding windows on an injected clock: overall N/s, per private chat, per group/channel."""

    def __init__(
        self,
        overall_per_second: int,
        per_chat_per_second: int,
        per_group_per_minute: int,
        clock: Callable[[], float],
    ) -> None:
        self._clock = clock
        self._overall = SlidingWindow(overall_per_second, 1.0)
        self._per_private_chat = per_chat_per_second
        self._per_group = per_group_per_minute  # groups, supergroups and channels alike
        self._chat_windows: dict[int, SlidingWindow] = {}

    def retry_after(self, chat: JSON) -> int:
        """0 if one more message to ``chat`` is allowed now (it is then counted), else whole seconds to wait."""
        now = self._clock()
        chat_window = self._chat_windows.get(chat["id"])
        if chat_window is None:
            private = chat["type"] == "private"
            chat_window = SlidingWindow(
                *((self._per_private_chat, 1.0) if private else (self._per_group, 60.0))
            )
            self._chat_windows[chat["id"]] = chat_window
        wait = max(self._overall.wait_time(now), chat_window.wait_time(now))
        if wait > 0:
            return max(1, math.ceil(wait))
        self._overall.hit(now)
        chat_window.hit(now)
        return 0


class ConnectionDropped(Exception):
    """A scripted fault that closes the connection without an answer (see ``drop_next``)."""


@dataclass
class Fault:
    method: str  # lower-cased
    status: int
    description: str
    parameters: JSON | None
    times: int
    chat_id: int | str | None
    drop: bool = False  # close the connection instead of answering


class Faults:
    """Errors scripted by fail_next() or drop_next(), each met by the next ``times`` matching calls."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def raise_matching(self, method: str, params: JSON) -> None:
        for fault in self._faults:
            if fault.method == method.lower() and (
                fault.chat_id is None or str(fault.chat_id) == str(params.get("chat_id"))
            ):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                if fault.drop:
                    raise ConnectionDropped(fault.method)
                raise ApiError(fault.status, fault.description, fault.parameters)
