"""The overall rate of one bot token shared by several processes, through PostgreSQL itself.

Why PostgreSQL and not Redis: the processes already share it, so nothing new has to be run,
secured, backed up or watched; one row per token (`send_budgets`) and one `UPDATE … RETURNING`
per reservation is all the coordination needs, and a row lock held for one statement is far
below the rates in question (30 a second; 1,000 with paid broadcasts, reserved a fifth of a
second at a time).

The row holds the next free start time of the token's *timeline*, on the database's clock (so
the machines' clocks need not agree). A process reserves a few start times at once,
`spacing` apart and after everything reserved before, whichever process reserved it; its
`SendBudget` then starts a send only at one of them (or drops it when it is missed, so that no
send lands between two of another process's). A 429 moves the timeline past the pause for
every process (`hold`).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.meter import NO_METER, Meter
from storage.failures import is_database_error
from storage.models import SendBudgetRow

_NOW = "COALESCE(CAST(:now AS double precision), EXTRACT(EPOCH FROM clock_timestamp())::double precision)"
_RESERVE = text(
    f"WITH t AS (SELECT {_NOW} AS now) "  # noqa: S608 (constant SQL, values are bound)
    "UPDATE send_budgets SET next_at = GREATEST(send_budgets.next_at, t.now + CAST(:lead AS double precision)) "
    "+ CAST(:span AS double precision) "
    "FROM t WHERE send_budgets.key = :key "
    "RETURNING send_budgets.next_at - CAST(:span AS double precision) AS first, t.now AS now"
)
_HOLD = text(
    f"UPDATE send_budgets SET next_at = GREATEST(next_at, {_NOW} + CAST(:seconds AS double precision)) WHERE key = :key"  # noqa: S608
)


def budget_key(platform: str, token: str) -> str:
    """The row of a token: its platform and a hash (the token itself is a secret)."""
    return f"{platform}:{hashlib.sha256(token.encode()).hexdigest()[:32]}"


class DatabaseTimeline:
    """A `broadcasts.limits.Timeline` on one `send_budgets` row (PostgreSQL only).

    `clock` is the caller's (the `SendBudget`'s). `now`: None (production) reads the database's
    clock and converts; tests pass their fake clock, which then is the timeline's too.
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        key: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], float] | None = None,
        meter: Meter = NO_METER,
    ) -> None:
        self._meter = meter  # a failed reservation is a database error (the budget retries it)
        self._sessions = session_factory
        self.key = key
        self._clock = clock
        self._now = now
        self._created = False
        self._lead = 0.0  # the last reservation's round trip: fresh start times begin after the answer

    async def reserve(self, count: int, spacing: float) -> list[float]:
        before = self._clock()
        try:
            async with self._sessions() as session, session.begin():
                await self._create(session)
                first, now = (
                    await session.execute(
                        _RESERVE,
                        {"now": self._given_now(), "lead": self._lead, "span": count * spacing, "key": self.key},
                    )
                ).one()
        except Exception as exc:
            if is_database_error(exc):
                self._meter.database_error("send_budget")
            raise
        after = self._clock()
        self._lead = min(max(after - before, 0.0), 1.0)
        # The database's `now` was read between `before` and the answer: its middle is our best guess.
        offset = 0.0 if self._now is not None else (before + after) / 2 - now
        return [first + offset + index * spacing for index in range(count)]

    async def hold(self, until: float) -> None:
        seconds = until - self._clock()
        async with self._sessions() as session, session.begin():
            await self._create(session)
            await session.execute(_HOLD, {"now": self._given_now(), "seconds": seconds, "key": self.key})

    def _given_now(self) -> float | None:
        return None if self._now is None else self._now()

    async def _create(self, session: AsyncSession) -> None:
        if not self._created:
            await session.execute(
                insert(SendBudgetRow).values(key=self.key, next_at=0.0).on_conflict_do_nothing()
            )
            self._created = True
