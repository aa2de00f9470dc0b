"""The journal of Page posts: what keeps a crash (or a lost answer) from posting twice.

The Graph API takes no idempotency key, and a post's words are public, so no hidden marker can
ride along. Instead, before each call the publisher writes *intent* (`begin`), and once Facebook
answers, the post id (`done`). A retry that finds intent without a post id (the process died, or
the answer was lost, mid-call) first reads the Page's recent posts and takes a post with the
same words whose id the journal does not hold already: that one is ours. Only if none is
there does it post again. Each call commits on its own, so the intent is on disk before the
request leaves.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import PagePost


class PostJournal:
    """`begin` / `done` / `known` over the `page_posts` table, one short transaction each."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def begin(self, page_id: str, key: str, now: datetime) -> tuple[bool, str | None]:
        """Record intent. (True, None): first attempt; (False, post_id or None): tried before."""
        try:
            async with self._sessions() as session, session.begin():
                session.add(PagePost(page_id=page_id, key=key, started_at=now))
            return True, None
        except IntegrityError:
            async with self._sessions() as session:
                post_id = await session.scalar(
                    select(PagePost.post_id).where(PagePost.page_id == page_id, PagePost.key == key)
                )
            return False, post_id

    async def done(self, page_id: str, key: str, post_id: str) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(PagePost).where(PagePost.page_id == page_id, PagePost.key == key).values(post_id=post_id)
            )

    async def known(self, page_id: str, candidates: Collection[str]) -> set[str]:
        """Those of `candidates` (the Page's recent post ids) that the journal already holds, so they
        are not taken for ours; only these are read, however long the Page's history."""
        if not candidates:
            return set()
        async with self._sessions() as session:
            rows = await session.scalars(
                select(PagePost.post_id).where(PagePost.page_id == page_id, PagePost.post_id.in_(list(candidates)))
            )
            return {row for row in rows if row}
