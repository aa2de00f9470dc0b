"""`GET /readyz`: is this process fit to take traffic? The database answers and every configured
platform answered `getMe`.

A platform's `getMe` at start-up counts; after that it is asked again at most every
`recheck_seconds` (a failure is asked again at the next probe), so a probe every few seconds
costs the platforms almost nothing. The database is asked `SELECT 1` on every probe; all checks
run together, each within `timeout_seconds`, so a probe answers within that bound. The answer names each check: "ok" or a short reason (an exception's class,
never its message, which may hold a host name or a token).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.meter import NO_METER, Meter

log = logging.getLogger(__name__)
OK = "ok"
Ping = Callable[[], Awaitable[object]]


class Readiness:
    """The checks behind `/readyz`; `started()` once the channels are connected."""

    def __init__(
        self,
        engine: AsyncEngine,
        pings: Mapping[str, Ping],
        *,
        meter: Meter = NO_METER,
        recheck_seconds: float = 60.0,
        timeout_seconds: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.pings = dict(pings)
        self.meter = meter
        self.recheck_seconds = recheck_seconds
        self.timeout_seconds = timeout_seconds
        self._monotonic = monotonic
        self._answered_at: dict[str, float] = {}
        self._started = False

    def started(self) -> None:
        """The channels connected: each one's getMe just answered."""
        now = self._monotonic()
        self._answered_at = dict.fromkeys(self.pings, now)
        self._started = True

    async def check(self) -> dict[str, str]:
        """Each check's state, "ok" or why not; ready when all are "ok"."""
        if not self._started:
            return {"service": "starting"}
        # Together, so a probe answers within one timeout however many checks fail.
        names = ["database", *self.pings]
        states = await asyncio.gather(self._database(), *(self._platform(p) for p in self.pings))
        return dict(zip(names, states, strict=True))

    async def _database(self) -> str:
        try:
            async with asyncio.timeout(self.timeout_seconds), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("readiness: the database did not answer (%s)", type(exc).__name__)
            self.meter.database_error("readyz")
            return f"unreachable ({type(exc).__name__})"
        return OK

    async def _platform(self, platform: str) -> str:
        now = self._monotonic()
        answered = self._answered_at.get(platform)
        if answered is not None and now - answered < self.recheck_seconds:
            return OK
        try:
            async with asyncio.timeout(self.timeout_seconds):
                await self.pings[platform]()
        except Exception as exc:
            self._answered_at.pop(platform, None)
            log.warning("readiness: %s did not answer getMe (%s)", platform, type(exc).__name__)
            return f"getMe failed ({type(exc).__name__})"
        self._answered_at[platform] = self._monotonic()
        return OK
