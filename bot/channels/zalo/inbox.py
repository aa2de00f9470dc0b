"""Zalo events kept from the moment we accept them until they are handled.

Zalo's webhook wants a quick answer and its retries are undocumented; `getUpdates` forgets an
event once it handed it out. So each private-chat event is stored durably before Zalo gets its
200, handled afterwards, and only then deleted: if the process stops in between, what is left is
handled later. Handling twice is harmless, because the dispatcher claims each event's key (event
name + message id) in the same transaction as its effects. Group messages never come here: they
are not stored.

The inbox is rows in the database (`SharedInbox`). The accepting process holds its rows under a
lease it renews; when a process dies, another one (or the same one, restarted) takes its rows once
the lease runs out, and a process that stops in order gives its rows back at once. So with several
processes on one PostgreSQL, any of them may take any event. (Versions before 0017 kept one JSON
file per event on disk; `adopt` moves what such a version left into the database.)
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import ZaloInboxEvent

Event = dict[str, Any]


def _loads(text: str) -> Event | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class SharedInbox:
    """Pending events as database rows, each held by one process under a lease."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        lease_seconds: float = 60.0,
        holder: str | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self.lease = timedelta(seconds=lease_seconds)
        self.sweep_seconds = max(lease_seconds / 3, 0.05)  # renew and take over this often
        self.holder = holder or uuid.uuid4().hex[:16]

    async def put(self, event: Event) -> int:
        """Store the event, held by this process; returns its row id."""
        now = self._clock()
        row = ZaloInboxEvent(
            event=json.dumps(event), accepted_at=now, claimed_by=self.holder, claimed_until=now + self.lease
        )
        async with self._sessions() as session, session.begin():
            session.add(row)
            await session.flush()
            return row.id

    async def take(self) -> list[tuple[int, Event]]:
        """Events nobody holds (given back, or their holder's lease ran out), now held by us, oldest first."""
        now = self._clock()
        free = or_(ZaloInboxEvent.claimed_by.is_(None), ZaloInboxEvent.claimed_until < now)
        async with self._sessions() as session, session.begin():
            candidates = select(ZaloInboxEvent.id).where(free).order_by(ZaloInboxEvent.id).limit(500)
            if session.bind.dialect.name == "postgresql":
                candidates = candidates.with_for_update(skip_locked=True)
            rows = (await session.execute(
                update(ZaloInboxEvent)
                .where(ZaloInboxEvent.id.in_(candidates.scalar_subquery()), free)
                .values(claimed_by=self.holder, claimed_until=now + self.lease)
                .returning(ZaloInboxEvent.id, ZaloInboxEvent.event)
            )).all()
        taken = []
        for row_id, text in sorted(rows):
            event = _loads(text)
            if event is None:
                await self.done(row_id)
            else:
                taken.append((row_id, event))
        return taken

    async def done(self, row_id: int) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(delete(ZaloInboxEvent).where(ZaloInboxEvent.id == row_id))

    async def keep(self) -> None:
        """Renew the lease on every row this process still holds (queued or being handled)."""
        now = self._clock()
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(ZaloInboxEvent)
                .where(ZaloInboxEvent.claimed_by == self.holder)
                .values(claimed_until=now + self.lease)
            )

    async def release(self) -> None:
        """An orderly stop: give back what is not handled yet, for another process (or the next start)."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(ZaloInboxEvent).where(ZaloInboxEvent.claimed_by == self.holder).values(claimed_by=None)
            )

    async def adopt(self, directory: Path) -> int:
        """Events an older version left in its on-disk inbox become rows nobody holds (at start)."""
        files = sorted(await asyncio.to_thread(lambda: list(directory.glob("*.json"))))
        for path in files:
            text = await asyncio.to_thread(path.read_text, encoding="utf-8")
            if _loads(text) is not None:
                now = self._clock()
                async with self._sessions() as session, session.begin():
                    session.add(ZaloInboxEvent(event=text, accepted_at=now, claimed_by=None, claimed_until=now))
            os.unlink(path)
        return len(files)

    async def pending(self) -> int:
        """How many events wait, whoever holds them (tests, operators)."""
        async with self._sessions() as session:
            return len((await session.scalars(select(ZaloInboxEvent.id))).all())
