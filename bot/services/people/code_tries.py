"""Throttling guesses of invite and link codes, per platform account.

Codes are too long to guess, but a bot answers as fast as a script can type, and a code grants
a role. So an account (platform and id, registered or not) may type a few wrong codes in any
rolling hour; after that it is refused without its code even being looked up, until its oldest
wrong try in the window is an hour old. Wrong tries are rows, so a restart forgives nothing;
they are pruned once they no longer count. Each lock-out is audited once, when it begins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from storage.models import CodeTry, rows_changed

WINDOW = timedelta(hours=1)
# Refusals that mean "no such code": what a guess gets. A used or expired code was a real one.
WRONG_CODE_KEYS = frozenset({"invite_unknown", "link_unknown"})


@dataclass(frozen=True)
class WrongTries:
    """An account's wrong codes within the window before `now`, oldest first."""

    times: tuple[datetime, ...]
    limit: int

    def locked_until(self) -> datetime | None:
        """When the account may try again, or None if it may now.

        Locked while `limit` or more tries are in the window; that ends when enough of the oldest
        have left it for fewer than `limit` to remain.
        """
        if len(self.times) < self.limit:
            return None
        return self.times[len(self.times) - self.limit] + WINDOW

    def plus(self, at: datetime) -> WrongTries:
        return WrongTries((*self.times, at), self.limit)


async def recent(session: AsyncSession, platform: str, external_id: str, *, now: datetime, limit: int) -> WrongTries:
    times = await session.scalars(
        select(CodeTry.at)
        .where(CodeTry.platform == platform, CodeTry.external_id == external_id, CodeTry.at > now - WINDOW)
        .order_by(CodeTry.at, CodeTry.id)
    )
    return WrongTries(tuple(times), limit)


async def record_wrong_try(
    session: AsyncSession, platform: str, external_id: str, *, now: datetime, limit: int, actor_id: int | None
) -> datetime | None:
    """Count one wrong code; if it locks the account, audit the lock-out. Returns the lock's end."""
    before = await recent(session, platform, external_id, now=now, limit=limit)
    session.add(CodeTry(platform=platform, external_id=external_id, at=now))
    until = before.plus(now).locked_until()
    if until is not None and before.locked_until() is None:
        audit.record(
            session, "code.lockout", now=now, actor_id=actor_id, target=f"account:{platform}:{external_id}",
            details={"wrong_tries": len(before.times) + 1, "until": until.isoformat()},
        )
    await session.flush()
    return until


async def prune(session: AsyncSession, now: datetime) -> int:
    """Forget tries that no longer count towards any lock-out."""
    return rows_changed(await session.execute(delete(CodeTry).where(CodeTry.at <= now - WINDOW)))
