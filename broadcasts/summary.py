"""The figures the author is told when a broadcast ends, and the audit line that marks the end.

The feature gathers the figures; the wording is `handlers.broadcast_texts.summary_text`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.pages import PLATFORM as PAGE_PLATFORM
from broadcasts import shares, store
from broadcasts.shares import ShareCounts
from broadcasts.store import StatusCounts
from storage.models import (
    AuditEntry,
    Broadcast,
    BroadcastStatus,
    Delivery,
    Identity,
    LinkedChat,
    rows_changed,
    table,
)

UNTOLD_HORIZON = timedelta(days=1)  # older untold broadcasts (finished with no one to tell) stay untold


@dataclass(frozen=True)
class BroadcastSummary:
    """What the author is told when a broadcast finishes (or is stopped): the figures, not the words."""

    broadcast_id: int
    status: str
    author_id: int | None
    author_chats: tuple[tuple[str, str], ...]  # (platform, chat_id) of the author's reachable identities
    counts: StatusCounts
    pages: tuple[PageResult, ...] = ()  # one per Facebook Page in the audience, by Page
    shares: ShareCounts = field(default_factory=ShareCounts)  # officers' confirmations of forwarding it into Zalo groups


@dataclass(frozen=True)
class PageResult:
    """What became of a broadcast on one Facebook Page: its status, post id or reason."""

    page_id: str
    title: str | None
    status: str  # a DeliveryStatus
    post_id: str | None
    reason: str | None  # Facebook's words (or ours) for a post that failed
    failure: str | None = None  # the failure's kind (`Delivery.last_error`), e.g. store.NO_SENDER


async def build_summary(session: AsyncSession, broadcast_id: int) -> BroadcastSummary:
    """Figures and the author's chats for one broadcast (also for /trangthai)."""
    broadcast = await session.get_one(Broadcast, broadcast_id)
    counts = await store.status_counts(session, broadcast_id)
    chats: tuple[tuple[str, str], ...] = ()
    if broadcast.author_id is not None:
        result = await session.execute(
            select(Identity.platform, Identity.chat_id)
            .where(Identity.person_id == broadcast.author_id, Identity.unreachable_at.is_(None))
            .order_by(Identity.id)
        )
        chats = tuple((platform, chat_id) for platform, chat_id in result)
    pages = await _page_results(session, broadcast_id)
    shared = await shares.counts(session, broadcast_id)
    return BroadcastSummary(broadcast_id, broadcast.status, broadcast.author_id, chats, counts, pages, shared)


async def _page_results(session: AsyncSession, broadcast_id: int) -> tuple[PageResult, ...]:
    rows = await session.execute(
        select(Delivery.chat_id, LinkedChat.title, Delivery.status, Delivery.message_id, Delivery.error_detail,
               Delivery.last_error)
        .outerjoin(LinkedChat, LinkedChat.id == Delivery.linked_chat_id)
        .where(Delivery.broadcast_id == broadcast_id, Delivery.platform == PAGE_PLATFORM)
        .order_by(Delivery.id)
    )
    return tuple(PageResult(*row) for row in rows)


async def untold(session: AsyncSession, now: datetime) -> list[int]:
    result = await session.scalars(
        select(Broadcast.id).where(
            Broadcast.status.in_([BroadcastStatus.COMPLETED, BroadcastStatus.STOPPED]),
            Broadcast.summary_sent_at.is_(None),
            Broadcast.finished_at >= now - UNTOLD_HORIZON,
        )
    )
    return list(result)


def audit_completed(session: AsyncSession, broadcast_ids: list[int], now: datetime) -> None:
    for broadcast_id in broadcast_ids:
        session.add(
            AuditEntry(
                at=now,
                actor_id=None,
                action="broadcast.complete",
                target=f"broadcast:{broadcast_id}",
                details={},
            )
        )


async def claim_telling(session: AsyncSession, broadcast_id: int, now: datetime) -> bool:
    """Whether this caller tells the author: several processes may find the same broadcast untold,
    and the one whose update marks it told sends the figures (a crash in between loses them; they
    are still in /trangthai)."""
    result = await session.execute(
        update(table(Broadcast))
        .where(Broadcast.id == broadcast_id, Broadcast.summary_sent_at.is_(None))
        .values(summary_sent_at=now)
    )
    return rows_changed(result) == 1


async def release_telling(session: AsyncSession, broadcast_id: int) -> None:
    """Telling failed: leave the broadcast untold, so that it is tried again."""
    await session.execute(update(table(Broadcast)).where(Broadcast.id == broadcast_id).values(summary_sent_at=None))
