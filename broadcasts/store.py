"""The outbox's SQL: claiming deliveries under a lease, recording results in batches.

Everything here works on SQLite and PostgreSQL; where they differ (row locks, insert-or-ignore)
one function hides it. Core statements and executemany are used on purpose: the outbox
records thousands of results a second, and the ORM's unit of work would be the bottleneck.
Nothing here commits: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Broadcast, BroadcastStatus, Delivery, DeliveryStatus, Identity, LinkedChat, table

deliveries = table(Delivery)
broadcasts = table(Broadcast)
DETAIL_MAX = 200
NO_SENDER = "no_sender"  # the failure reason of a delivery for a platform this deployment cannot send to


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this worker holds until its lease runs out."""

    id: int
    broadcast_id: int
    platform: str
    chat_id: str
    identity_id: int | None
    linked_chat_id: int | None
    attempts: int
    offers_share: bool = False  # an officer's copy of content: it offers "shared into Zalo groups"

    @property
    def group(self) -> bool:
        """Groups and channels have their own, slower limit."""
        return self.linked_chat_id is not None


class Kind:
    """What happened to one delivery (the outcome kinds `record` knows)."""

    SENT = "sent"
    RETRY = "retry"  # a transient error: try again at next_attempt_at (counts as an attempt)
    DEFER = "defer"  # throttled or the chat is busy: later, not an attempt
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    MIGRATED = "migrated"  # the group moved to new_chat_id: resend there at once


@dataclass(slots=True)
class Outcome:
    delivery: Claimed
    kind: str
    message_id: str | None = None
    reason: str | None = None
    detail: str | None = None
    next_attempt_at: datetime | None = None
    new_chat_id: str | None = None


@dataclass
class Recorded:
    """What a flush changed, for the caller's bookkeeping."""

    broadcast_ids: set[int] = field(default_factory=set)
    sent: int = 0


@dataclass(frozen=True)
class StatusCounts:
    """A broadcast's deliveries by outcome; `failed` by reason class (rejected, transient, ...)."""

    total: int = 0
    sent: int = 0
    pending: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    unreachable: int = 0
    cancelled: int = 0

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())


async def status_counts(session: AsyncSession, broadcast_id: int) -> StatusCounts:
    """Sent, pending, failed by reason, unreachable and cancelled: the /trangthai figures."""
    return (await status_counts_of(session, [broadcast_id]))[broadcast_id]


async def status_counts_of(session: AsyncSession, broadcast_ids: Sequence[int]) -> dict[int, StatusCounts]:
    """The figures of several broadcasts in one grouped query (a page of the console's list)."""
    ids = sorted(set(broadcast_ids))
    d = deliveries
    rows: dict[int, list[tuple[str, str | None, int]]] = {broadcast_id: [] for broadcast_id in ids}
    if ids:
        result = await session.execute(
            select(d.c.broadcast_id, d.c.status, d.c.last_error, func.count())
            .where(d.c.broadcast_id.in_(ids))
            .group_by(d.c.broadcast_id, d.c.status, d.c.last_error)
        )
        for broadcast_id, status, reason, count in result:
            rows[broadcast_id].append((status, reason, count))
    return {broadcast_id: _counts(found) for broadcast_id, found in rows.items()}


def _counts(rows: Sequence[tuple[str, str | None, int]]) -> StatusCounts:
    by_status: dict[str, int] = {}
    failed: dict[str, int] = {}
    for status, reason, count in rows:
        by_status[status] = by_status.get(status, 0) + count
        if status == DeliveryStatus.FAILED:
            failed[reason or "error"] = failed.get(reason or "error", 0) + count
    return StatusCounts(
        total=sum(by_status.values()),
        sent=by_status.get(DeliveryStatus.SENT, 0),
        pending=by_status.get(DeliveryStatus.PENDING, 0),
        failed=failed,
        unreachable=by_status.get(DeliveryStatus.UNREACHABLE, 0),
        cancelled=by_status.get(DeliveryStatus.CANCELLED, 0),
    )


# --------------------------------------------------------------------------- inserting


async def insert_ignoring_duplicates(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert delivery rows; one that repeats (broadcast, platform, chat) is silently skipped."""
    if not rows:
        return
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    await session.execute(dialect.insert(deliveries).on_conflict_do_nothing(), list(rows))


# --------------------------------------------------------------------------- claiming


async def claim(
    session: AsyncSession,
    *,
    platform: str,
    worker_id: str,
    now: datetime,
    lease_until: datetime,
    limit: int,
) -> list[Claimed]:
    """Take up to `limit` due deliveries of sending broadcasts, oldest first, under a lease.

    A row is free when nobody holds it or its lease ran out; rows whose lease ran out while
    *this* worker still holds them are not taken twice. On PostgreSQL `FOR UPDATE SKIP LOCKED`
    lets several workers claim side by side; SQLite serialises writers, so the single
    UPDATE ... WHERE id IN (SELECT ... LIMIT n) is atomic there by itself.
    """
    d = deliveries
    c = deliveries.alias("candidate")  # its own FROM: not correlated with the UPDATE's table
    not_mine = c.c.claimed_by.is_(None) | (c.c.claimed_by != worker_id)
    free = c.c.claimed_until.is_(None) | ((c.c.claimed_until < now) & not_mine)
    candidates = (
        select(c.c.id)
        .where(
            c.c.status == DeliveryStatus.PENDING,
            c.c.platform == platform,
            c.c.next_attempt_at <= now,
            free,
            exists().where(
                broadcasts.c.id == c.c.broadcast_id, broadcasts.c.status == BroadcastStatus.SENDING
            ),
        )
        .order_by(c.c.id)
        .limit(limit)
    )
    if session.bind.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    stmt = (
        update(d)
        .where(d.c.id.in_(candidates.scalar_subquery()))
        .values(claimed_until=lease_until, claimed_by=worker_id)
        .returning(
            d.c.id,
            d.c.broadcast_id,
            d.c.platform,
            d.c.chat_id,
            d.c.identity_id,
            d.c.linked_chat_id,
            d.c.attempts,
            d.c.offers_share,
        )
    )
    rows = (await session.execute(stmt)).all()
    claimed = [
        Claimed(row.id, row.broadcast_id, row.platform, row.chat_id, row.identity_id, row.linked_chat_id,
                row.attempts, bool(row.offers_share))
        for row in rows
    ]
    return sorted(claimed, key=lambda one: one.id)


async def renew_leases(
    session: AsyncSession, ids: Sequence[int], *, worker_id: str, lease_until: datetime
) -> None:
    """Keep what this worker still holds (queued or in flight) from being taken by another."""
    for start in range(0, len(ids), 500):
        await session.execute(
            update(deliveries)
            .where(
                deliveries.c.id.in_(ids[start : start + 500]), deliveries.c.status == DeliveryStatus.PENDING
            )
            .values(claimed_until=lease_until, claimed_by=worker_id)
        )


async def release_worker(session: AsyncSession, worker_id: str) -> None:
    """Clear every claim of a worker that holds nothing (claims a lost result left behind)."""
    await session.execute(
        update(deliveries)
        .where(deliveries.c.claimed_by == worker_id, deliveries.c.status == DeliveryStatus.PENDING)
        .values(claimed_until=None, claimed_by=None)
    )


async def release(session: AsyncSession, ids: Iterable[int]) -> None:
    """Give back claimed rows that were never sent (a graceful stop)."""
    ids = list(ids)
    for start in range(0, len(ids), 500):
        await session.execute(
            update(deliveries)
            .where(
                deliveries.c.id.in_(ids[start : start + 500]), deliveries.c.status == DeliveryStatus.PENDING
            )
            .values(claimed_until=None, claimed_by=None)
        )


# --------------------------------------------------------------------------- recording


async def record(session: AsyncSession, outcomes: Sequence[Outcome], *, now: datetime) -> Recorded:
    """Write a batch of outcomes: a few executemany statements, however many rows.

    "Sent" is written whatever the row's status (it was sent, even if the broadcast was stopped
    meanwhile); everything else only touches rows still pending, so a stopped broadcast's
    cancelled rows stay cancelled.
    """
    recorded = Recorded()
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.kind, []).append(outcome)
        recorded.broadcast_ids.add(outcome.delivery.broadcast_id)
    d = deliveries
    pending = d.c.status == DeliveryStatus.PENDING
    by_id = d.c.id == bindparam("b_id")
    unclaimed = {"claimed_until": None, "claimed_by": None}
    if sent := groups.get(Kind.SENT):
        recorded.sent = len(sent)
        await _many(
            session,
            update(d)
            .where(by_id)
            .values(
                status=DeliveryStatus.SENT,
                message_id=bindparam("b_message_id"),
                sent_at=now,
                attempts=d.c.attempts + 1,
                last_error=None,
                error_detail=None,
                **unclaimed,
            ),
            [{"b_id": o.delivery.id, "b_message_id": o.message_id} for o in sent],
        )
    for kind, counted in ((Kind.RETRY, True), (Kind.DEFER, False)):
        if later := groups.get(kind):
            await _many(
                session,
                update(d)
                .where(by_id, pending)
                .values(
                    attempts=d.c.attempts + (1 if counted else 0),
                    next_attempt_at=bindparam("b_next"),
                    last_error=bindparam("b_reason"),
                    error_detail=bindparam("b_detail"),
                    **unclaimed,
                ),
                [_params(o, b_next=o.next_attempt_at) for o in later],
            )
    for kind, status in (
        (Kind.FAILED, DeliveryStatus.FAILED),
        (Kind.UNREACHABLE, DeliveryStatus.UNREACHABLE),
    ):
        if final := groups.get(kind):
            await _many(
                session,
                update(d)
                .where(by_id, pending)
                .values(
                    status=status,
                    attempts=d.c.attempts + 1,
                    last_error=bindparam("b_reason"),
                    error_detail=bindparam("b_detail"),
                    **unclaimed,
                ),
                [_params(o) for o in final],
            )
    if gone := groups.get(Kind.UNREACHABLE):
        await _mark_gone(session, gone, now)
    for outcome in groups.get(Kind.MIGRATED, ()):
        await _migrate_delivery(session, outcome, now)
    return recorded


def _params(outcome: Outcome, **extra: Any) -> dict[str, Any]:
    detail = outcome.detail[:DETAIL_MAX] if outcome.detail else None
    return {"b_id": outcome.delivery.id, "b_reason": outcome.reason, "b_detail": detail, **extra}


async def _many(session: AsyncSession, stmt: Any, params: list[dict[str, Any]]) -> None:
    """One executemany on the session's connection (a table statement: no ORM bookkeeping)."""
    connection = await session.connection()
    await connection.execute(stmt, params)


async def _mark_gone(session: AsyncSession, outcomes: Sequence[Outcome], now: datetime) -> None:
    """Blocked, deactivated or kicked: mark the identity or the chat, so nothing is sent there again."""
    identity_ids = sorted({o.delivery.identity_id for o in outcomes if o.delivery.identity_id is not None})
    chat_ids = sorted({o.delivery.linked_chat_id for o in outcomes if o.delivery.linked_chat_id is not None})
    if identity_ids:
        await session.execute(
            update(table(Identity))
            .where(Identity.id.in_(identity_ids), Identity.unreachable_at.is_(None))
            .values(unreachable_at=now)
        )
    if chat_ids:
        await session.execute(
            update(table(LinkedChat))
            .where(LinkedChat.id.in_(chat_ids), LinkedChat.active.is_(True))
            .values(active=False, removed_at=now)
        )


async def _migrate_delivery(session: AsyncSession, outcome: Outcome, now: datetime) -> None:
    """Point the delivery (and its linked chat) at the new chat id and make it due at once.

    If the broadcast already has a delivery for the new id, this one is the duplicate: it is
    cancelled, and the other one carries the message.
    """
    row, new_chat_id = outcome.delivery, str(outcome.new_chat_id)
    if row.linked_chat_id is not None:
        await migrate_linked_chat(session, row.platform, row.chat_id, new_chat_id)
    taken = await session.scalar(
        select(deliveries.c.id).where(
            deliveries.c.broadcast_id == row.broadcast_id,
            deliveries.c.platform == row.platform,
            deliveries.c.chat_id == new_chat_id,
        )
    )
    values: dict[str, Any] = {"claimed_until": None, "claimed_by": None, "last_error": "migrated"}
    if taken is None:
        values.update(chat_id=new_chat_id, next_attempt_at=now)
    else:
        values.update(status=DeliveryStatus.CANCELLED)
    await session.execute(
        update(deliveries)
        .where(deliveries.c.id == row.id, deliveries.c.status == DeliveryStatus.PENDING)
        .values(**values)
    )


async def migrate_linked_chat(
    session: AsyncSession, platform: str, old_chat_id: str, new_chat_id: str
) -> LinkedChat | None:
    """A group became a supergroup: the linked chat keeps its unit under the new id.

    When the bot already recorded the supergroup as a chat of its own (it saw it before the
    migration notice), that row gives way to the old one, which carries the unit link.
    """
    old = await session.scalar(
        select(LinkedChat).where(LinkedChat.platform == platform, LinkedChat.chat_id == old_chat_id)
    )
    if old is None:
        return None
    duplicate = await session.scalar(
        select(LinkedChat).where(LinkedChat.platform == platform, LinkedChat.chat_id == new_chat_id)
    )
    if duplicate is not None and duplicate.id != old.id:
        if old.unit_id is None:
            old.unit_id = duplicate.unit_id
        await session.execute(
            update(deliveries)
            .where(deliveries.c.linked_chat_id == duplicate.id)
            .values(linked_chat_id=old.id)
        )
        await session.delete(duplicate)
        await session.flush()
    old.chat_id = new_chat_id
    old.kind = "supergroup"
    await session.flush()
    return old


# --------------------------------------------------------------------------- finishing


async def finish_done(session: AsyncSession, broadcast_ids: Iterable[int], *, now: datetime) -> list[int]:
    """Mark sending broadcasts with nothing pending as completed; returns those this call finished.

    The status condition makes it happen once even with several workers: only one UPDATE
    finds the row still `sending`.
    """
    ids = sorted(set(broadcast_ids))
    if not ids:
        return []
    nothing_pending = ~exists().where(
        deliveries.c.broadcast_id == broadcasts.c.id, deliveries.c.status == DeliveryStatus.PENDING
    )
    result = await session.execute(
        update(broadcasts)
        .where(broadcasts.c.id.in_(ids), broadcasts.c.status == BroadcastStatus.SENDING, nothing_pending)
        .values(
            status=BroadcastStatus.COMPLETED,
            finished_at=now,
            updated_at=now,
            version=broadcasts.c.version + 1,
        )
        .returning(broadcasts.c.id)
    )
    return sorted(result.scalars())


async def fail_without_sender(
    session: AsyncSession, platforms: Sequence[str], *, now: datetime
) -> list[tuple[int, str]]:
    """Fail the pending deliveries of sending broadcasts for any platform not in `platforms` (the
    ones this deployment can send to): nothing would ever send them, and their broadcast would
    stay "sending" for ever, its author never told. Rows another worker holds under a live lease
    are left alone. Returns (broadcast id, platform) per row failed."""
    d = deliveries
    due = (
        d.c.status == DeliveryStatus.PENDING,
        d.c.platform.not_in(list(platforms)),
        d.c.claimed_until.is_(None) | (d.c.claimed_until <= now),
        exists().where(broadcasts.c.id == d.c.broadcast_id, broadcasts.c.status == BroadcastStatus.SENDING),
    )
    found = list(await session.scalars(select(d.c.platform).where(*due).distinct()))
    failed: list[tuple[int, str]] = []
    for platform in sorted(found):
        result = await session.execute(
            update(d)
            .where(*due, d.c.platform == platform)
            .values(
                status=DeliveryStatus.FAILED,
                last_error=NO_SENDER,
                error_detail=f"no {platform} sender in this deployment: {platform} is not configured"[:DETAIL_MAX],
                claimed_until=None,
                claimed_by=None,
            )
            .returning(d.c.broadcast_id)
        )
        failed += [(broadcast_id, platform) for broadcast_id in result.scalars()]
    return failed


async def sending_without_pending(session: AsyncSession) -> list[int]:
    """Sending broadcasts whose last delivery is done (finished by nobody yet, e.g. after a crash)."""
    result = await session.scalars(
        select(broadcasts.c.id).where(
            broadcasts.c.status == BroadcastStatus.SENDING,
            ~exists().where(
                deliveries.c.broadcast_id == broadcasts.c.id, deliveries.c.status == DeliveryStatus.PENDING
            ),
        )
    )
    return list(result)


async def not_sending(session: AsyncSession, broadcast_ids: Iterable[int]) -> set[int]:
    """Which of these broadcasts were stopped (or otherwise left `sending`) meanwhile."""
    ids = sorted(set(broadcast_ids))
    if not ids:
        return set()
    result = await session.scalars(
        select(broadcasts.c.id).where(
            broadcasts.c.id.in_(ids), broadcasts.c.status != BroadcastStatus.SENDING
        )
    )
    return set(result)


async def next_due(session: AsyncSession, platforms: Sequence[str], *, now: datetime) -> datetime | None:
    """When the next pending delivery of a sending broadcast can be claimed: due and not leased."""
    d = deliveries
    base = (
        d.c.status == DeliveryStatus.PENDING,
        d.c.platform.in_(list(platforms)),
        exists().where(broadcasts.c.id == d.c.broadcast_id, broadcasts.c.status == BroadcastStatus.SENDING),
    )
    unleased = await session.scalar(
        select(func.min(d.c.next_attempt_at)).where(
            *base, d.c.claimed_until.is_(None) | (d.c.claimed_until <= now)
        )
    )
    lease_ends = await session.scalar(
        select(func.min(d.c.claimed_until)).where(*base, d.c.claimed_until > now)
    )
    candidates = [t for t in (unleased, lease_ends) if t is not None]
    return min(candidates) if candidates else None
