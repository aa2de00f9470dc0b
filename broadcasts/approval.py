"""Broadcasts: who may write, approve and send content, and exactly who receives it.

A broadcast is a persisted state machine (`storage.models.BroadcastStatus`): a province admin
writes it, another province admin approves it, and only then can it be released, at once or
at a scheduled time. Releasing *expands* the audience spec into one `Delivery` per recipient
chat, in the same transaction that turns the broadcast to `sending`, so the outbox never sees
half an audience and nothing unapproved ever has a delivery. Every step is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import UserFacingError
from bot.core.messages import Document, Photo
from bot.services import audit
from bot.services.people.people import Actor
from bot.services.people.reachable import Reachable, reachable
from bot.services.people.units import get_unit_by_code, is_in_subtree
from broadcasts import audience as audience_queries
from broadcasts import shares, store
from broadcasts.audience import Audience
from broadcasts.store import StatusCounts as StatusCounts
from broadcasts.store import status_counts as status_counts  # re-exported: /trangthai, CLI
from storage.models import (
    Broadcast,
    BroadcastStatus,
    BroadcastTopic,
    Delivery,
    DeliveryStatus,
    LinkedChat,
    Person,
    Role,
    Unit,
    rows_changed,
    table,
)

MAX_TEXT = 20_000  # long texts are split by the channel adapter; this only stops absurd input
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # Telegram's photo limit
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # Telegram's document limit
EXPAND_BATCH = 1000
S = BroadcastStatus
# Statuses from which a broadcast may still be withdrawn without anything having been sent.
CANCELLABLE = (S.DRAFT, S.PENDING_APPROVAL, S.APPROVED, S.SCHEDULED)


# --------------------------------------------------------------------------- rules


def is_province_admin(actor: Actor) -> bool:
    return actor.registered and actor.has_role(Role.PROVINCE_ADMIN)


def require_province_admin(actor: Actor) -> None:
    if not is_province_admin(actor):
        raise UserFacingError("broadcast_not_allowed")


def _require_status(broadcast: Broadcast, allowed: Sequence[str], action: str) -> None:
    if broadcast.status not in allowed:
        raise UserFacingError(
            "broadcast_wrong_status",
            id=broadcast.id,
            status=broadcast.status,  # keys: the catalogue words them (handlers.broadcast_texts)
            action=action,
        )


def _touch(broadcast: Broadcast, status: str, now: datetime) -> None:
    """Every change bumps the version, so a scheduled job holding an older one does nothing."""
    broadcast.status = status
    broadcast.version += 1
    broadcast.updated_at = now


async def get(session: AsyncSession, broadcast_id: int, *, for_update: bool = False) -> Broadcast:
    stmt = select(Broadcast).where(Broadcast.id == broadcast_id)
    if for_update:
        stmt = stmt.with_for_update()
    broadcast = await session.scalar(stmt)
    if broadcast is None:
        raise UserFacingError("broadcast_gone", id=broadcast_id)
    return broadcast


# --------------------------------------------------------------------------- writing and approving


async def create(
    session: AsyncSession,
    actor: Actor,
    *,
    text: str,
    audience: Audience,
    now: datetime,
    topic: str = BroadcastTopic.REGULAR,
    photo: Photo | None = None,
    document: Document | None = None,
    html: bool = False,
) -> Broadcast:
    """A draft by a province admin; the audience is checked now, expanded only at release.

    `html`: the text carries the author's formatting as Telegram-style HTML."""
    require_province_admin(actor)
    text = text.strip()
    if not text and photo is None and document is None:
        raise UserFacingError("broadcast_empty")
    if len(text) > MAX_TEXT:
        raise UserFacingError("broadcast_too_long", length=len(text), maximum=MAX_TEXT)
    await _check_audience(session, actor, audience)
    broadcast = Broadcast(
        author_id=actor.person_id,
        text=text,
        html=html,
        topic=BroadcastTopic(topic),
        audience=audience.to_json(),
        status=S.DRAFT,
        version=0,
        created_at=now,
        updated_at=now,
    )
    _attach_media(broadcast, photo, document)
    session.add(broadcast)
    await session.flush()
    audit.record(
        session,
        "broadcast.create",
        now=now,
        actor_id=actor.person_id,
        target=f"broadcast:{broadcast.id}",
        details={"audience": audience.to_json(), "topic": broadcast.topic, "media": broadcast.media_kind},
    )
    return broadcast


def _attach_media(broadcast: Broadcast, photo: Photo | None, document: Document | None) -> None:
    media = photo or document
    if media is None:
        return
    limit = MAX_PHOTO_BYTES if photo is not None else MAX_DOCUMENT_BYTES
    if len(media.data) > limit:
        raise UserFacingError(
            "broadcast_media_too_large", size=round(len(media.data) / 2**20, 1), maximum=limit // 2**20
        )
    broadcast.media_kind = "photo" if photo is not None else "document"
    broadcast.media_name = media.file_name
    broadcast.media = media.data


async def revise(
    session: AsyncSession,
    actor: Actor,
    broadcast_id: int,
    *,
    text: str,
    audience: Audience,
    now: datetime,
    topic: str = BroadcastTopic.REGULAR,
    photo: Photo | None = None,
    document: Document | None = None,
    keep_media: bool = False,
    html: bool = False,
) -> Broadcast:
    """The author rewrites a draft (not yet sent for approval): the same checks as `create`.

    The photo or file goes unless a new one is given or `keep_media` keeps the old one."""
    require_province_admin(actor)
    broadcast = await get(session, broadcast_id, for_update=True)
    if broadcast.author_id != actor.person_id:
        raise UserFacingError("broadcast_not_allowed")
    _require_status(broadcast, (S.DRAFT,), "revise")
    text = text.strip()
    kept = keep_media and photo is None and document is None and broadcast.media_kind is not None
    if not text and photo is None and document is None and not kept:
        raise UserFacingError("broadcast_empty")
    if len(text) > MAX_TEXT:
        raise UserFacingError("broadcast_too_long", length=len(text), maximum=MAX_TEXT)
    await _check_audience(session, actor, audience)
    broadcast.text, broadcast.html, broadcast.topic = text, html, BroadcastTopic(topic)
    broadcast.audience = audience.to_json()
    if not kept:
        broadcast.media_kind = broadcast.media_name = broadcast.media = None
        _attach_media(broadcast, photo, document)
    _touch(broadcast, S.DRAFT, now)
    audit.record(
        session,
        "broadcast.revise",
        now=now,
        actor_id=actor.person_id,
        target=f"broadcast:{broadcast.id}",
        details={"audience": audience.to_json(), "topic": broadcast.topic, "media": broadcast.media_kind},
    )
    return broadcast


async def _check_audience(session: AsyncSession, actor: Actor, audience: Audience) -> None:
    if not audience.units or not (audience.roles or audience.include_linked_chats or audience.include_pages):
        raise UserFacingError("broadcast_no_audience")
    for role in audience.roles:
        if role not in {r.value for r in Role}:
            raise UserFacingError("broadcast_unknown_role", role=role)
    admin_units = actor.units_with(Role.PROVINCE_ADMIN)
    for code in audience.units:
        unit = await get_unit_by_code(session, code)
        if unit is None:
            raise UserFacingError("broadcast_unknown_unit", code=code)
        if not any(is_in_subtree(admin_unit, unit) for admin_unit in admin_units):
            raise UserFacingError("broadcast_not_allowed")


async def submit(session: AsyncSession, actor: Actor, broadcast_id: int, *, now: datetime) -> Broadcast:
    """The draft goes to the other province admins for approval."""
    require_province_admin(actor)
    broadcast = await get(session, broadcast_id, for_update=True)
    _require_status(broadcast, (S.DRAFT,), "submit")
    _touch(broadcast, S.PENDING_APPROVAL, now)
    broadcast.submitted_at = now
    audit.record(
        session, "broadcast.submit", now=now, actor_id=actor.person_id, target=f"broadcast:{broadcast.id}"
    )
    return broadcast


async def approve(
    session: AsyncSession,
    actor: Actor,
    broadcast_id: int,
    *,
    now: datetime,
    allow_self_approval: bool = False,
) -> Broadcast:
    """Four eyes: a province admin other than the author (unless the province allows self-approval)."""
    require_province_admin(actor)
    broadcast = await get(session, broadcast_id, for_update=True)
    _require_status(broadcast, (S.PENDING_APPROVAL,), "approve")
    if broadcast.author_id == actor.person_id and not allow_self_approval:
        raise UserFacingError("broadcast_self_approval")
    _touch(broadcast, S.APPROVED, now)
    broadcast.approved_by, broadcast.approved_at = actor.person_id, now
    audit.record(
        session,
        "broadcast.approve",
        now=now,
        actor_id=actor.person_id,
        target=f"broadcast:{broadcast.id}",
        details={"self_approval": broadcast.author_id == actor.person_id},
    )
    return broadcast


async def reject(
    session: AsyncSession, actor: Actor, broadcast_id: int, reason: str, *, now: datetime
) -> Broadcast:
    require_province_admin(actor)
    reason = reason.strip()
    if not reason:
        raise UserFacingError("broadcast_reason_required")
    broadcast = await get(session, broadcast_id, for_update=True)
    _require_status(broadcast, (S.PENDING_APPROVAL,), "reject")
    _touch(broadcast, S.REJECTED, now)
    broadcast.reject_reason = reason
    audit.record(
        session,
        "broadcast.reject",
        now=now,
        actor_id=actor.person_id,
        target=f"broadcast:{broadcast.id}",
        details={"reason": reason},
    )
    return broadcast


async def other_approvers(session: AsyncSession, actor: Actor) -> list[Reachable]:
    """The province admins who may approve the actor's content (everyone but the actor), each once."""
    provinces = [u.id for u in actor.units_with(Role.PROVINCE_ADMIN)]
    author = actor.person.id if actor.person is not None else None
    return await reachable(session, roles=(Role.PROVINCE_ADMIN,), unit_ids=provinces, except_person=author)


# --------------------------------------------------------------------------- releasing


async def schedule(
    session: AsyncSession, actor: Actor, broadcast_id: int, send_at: datetime, *, now: datetime
) -> Broadcast:
    """Send an approved broadcast at `send_at`; the version lets a stale job see it was moved."""
    require_province_admin(actor)
    if send_at <= now:
        raise UserFacingError("broadcast_past_time")
    broadcast = await get(session, broadcast_id, for_update=True)
    _require_status(broadcast, (S.APPROVED, S.SCHEDULED), "schedule")
    _touch(broadcast, S.SCHEDULED, now)
    broadcast.send_at = send_at
    audit.record(
        session,
        "broadcast.schedule",
        now=now,
        actor_id=actor.person_id,
        target=f"broadcast:{broadcast.id}",
        details={"send_at": send_at.isoformat()},
    )
    return broadcast


async def send_now(session: AsyncSession, actor: Actor, broadcast_id: int, *, now: datetime) -> Broadcast:
    """Release an approved (or scheduled) broadcast at once. Commit, then wake the outbox."""
    require_province_admin(actor)
    broadcast = await get(session, broadcast_id, for_update=True)
    await expand(session, broadcast, now=now, actor_id=actor.person_id)
    return broadcast


async def due_for_release(session: AsyncSession, *, now: datetime) -> list[tuple[int, int]]:
    """(id, version) of scheduled broadcasts whose time has come, for the scheduler's job."""
    result = await session.execute(
        select(Broadcast.id, Broadcast.version)
        .where(Broadcast.status == S.SCHEDULED, Broadcast.send_at <= now)
        .order_by(Broadcast.send_at, Broadcast.id)
    )
    return [(row.id, row.version) for row in result]


async def release_scheduled(
    session: AsyncSession, broadcast_id: int, version: int, *, now: datetime
) -> Broadcast | None:
    """The scheduler's job: release only if the broadcast is still what the job was made for."""
    broadcast = await session.scalar(select(Broadcast).where(Broadcast.id == broadcast_id).with_for_update())
    if (
        broadcast is None
        or broadcast.version != version
        or broadcast.status != S.SCHEDULED
        or broadcast.send_at is None
        or broadcast.send_at > now
    ):
        return None
    await expand(session, broadcast, now=now, actor_id=None)
    return broadcast


async def expand(
    session: AsyncSession,
    broadcast: Broadcast,
    *,
    now: datetime,
    actor_id: int | None = None,
    batch_size: int = EXPAND_BATCH,
) -> int:
    """Insert one delivery per recipient chat and turn the broadcast to `sending`.

    The audience is read page by page (keyset on identity id), so 100,000 recipients are never
    in memory at once. Each identity appears once however many matching roles its person
    holds; unreachable identities and inactive chats are skipped; the unique key
    (broadcast, platform, chat) drops anything repeated. Returns the number of deliveries.
    """
    _require_status(broadcast, (S.APPROVED, S.SCHEDULED), "expand")
    audience = Audience.from_json(broadcast.audience)
    offer_share = await shares.offers_share(session, broadcast.id)
    await audience_queries.insert_deliveries(
        session, broadcast.id, audience, now=now, batch_size=batch_size, offer_share=offer_share
    )
    count = await session.scalar(select(func.count()).where(Delivery.broadcast_id == broadcast.id)) or 0
    _touch(broadcast, S.SENDING, now)
    broadcast.started_at = now
    broadcast.recipients = count
    audit.record(
        session,
        "broadcast.release",
        now=now,
        actor_id=actor_id,
        target=f"broadcast:{broadcast.id}",
        details={"recipients": count},
    )
    await session.flush()
    return count


async def preview_audience(session: AsyncSession, audience: Audience) -> int:
    """How many chats a broadcast with this audience would reach now (before it is sent)."""
    return await audience_queries.count(session, audience)


# --------------------------------------------------------------------------- withdrawing and stopping


async def cancel(session: AsyncSession, actor: Actor, broadcast_id: int, *, now: datetime) -> Broadcast:
    """Withdraw a broadcast before it starts (a scheduled job then finds it changed)."""
    require_province_admin(actor)
    broadcast = await get(session, broadcast_id, for_update=True)
    _require_status(broadcast, CANCELLABLE, "cancel")
    _touch(broadcast, S.CANCELLED, now)
    broadcast.finished_at = now
    audit.record(
        session, "broadcast.cancel", now=now, actor_id=actor.person_id, target=f"broadcast:{broadcast.id}"
    )
    return broadcast


async def stop(session: AsyncSession, actor: Actor, broadcast_id: int, *, now: datetime) -> StatusCounts:
    """Stop a running broadcast: what was sent stays sent, every pending delivery is cancelled.

    A few messages already in flight at a worker may still arrive; they are recorded as sent.
    """
    require_province_admin(actor)
    broadcast = await get(session, broadcast_id, for_update=True)
    _require_status(broadcast, (S.SENDING,), "stop")
    result = await session.execute(
        update(table(Delivery))
        .where(Delivery.broadcast_id == broadcast.id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.CANCELLED, claimed_until=None, claimed_by=None)
    )
    _touch(broadcast, S.STOPPED, now)
    broadcast.finished_at = now
    audit.record(
        session,
        "broadcast.stop",
        now=now,
        actor_id=actor.person_id,
        target=f"broadcast:{broadcast.id}",
        details={"cancelled": rows_changed(result)},
    )
    return await status_counts(session, broadcast.id)


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Listed:
    """A broadcast in a list, with its author's name (its media is not loaded)."""

    broadcast: Broadcast
    author: str | None


def _listed(statuses: Sequence[str]) -> Select[tuple[Broadcast, str | None]]:
    return (
        select(Broadcast, Person.full_name)
        .outerjoin(Person, Person.id == Broadcast.author_id)
        .where(Broadcast.status.in_(list(statuses)))
    )


async def awaiting_approval(
    session: AsyncSession, actor: Actor, *, allow_self_approval: bool, limit: int = 50, offset: int = 0
) -> list[Listed]:
    """What waits for this province admin's approval, oldest first: everyone else's content
    (their own too where the province allows self-approval). Nothing for anyone else."""
    if not is_province_admin(actor):
        return []
    stmt = _listed((S.PENDING_APPROVAL,))
    if not allow_self_approval:
        stmt = stmt.where(or_(Broadcast.author_id.is_(None), Broadcast.author_id != actor.person_id))
    rows = await session.execute(stmt.order_by(Broadcast.id).limit(limit).offset(offset))
    return [Listed(broadcast, author) for broadcast, author in rows.tuples()]


async def listed(
    session: AsyncSession, statuses: Sequence[str], *, author_id: int | None = None, limit: int = 50, offset: int = 0
) -> list[Listed]:
    """Broadcasts in these statuses (only `author_id`'s if given), newest first, one page."""
    stmt = _listed(statuses)
    if author_id is not None:
        stmt = stmt.where(Broadcast.author_id == author_id)
    rows = await session.execute(stmt.order_by(Broadcast.id.desc()).limit(limit).offset(offset))
    return [Listed(broadcast, author) for broadcast, author in rows.tuples()]


async def one_listed(session: AsyncSession, broadcast_id: int) -> Listed:
    """One broadcast with its author's name; refused as gone when there is none."""
    row = (
        await session.execute(
            select(Broadcast, Person.full_name)
            .outerjoin(Person, Person.id == Broadcast.author_id)
            .where(Broadcast.id == broadcast_id)
        )
    ).first()
    if row is None:
        raise UserFacingError("broadcast_gone", id=broadcast_id)
    return Listed(row[0], row[1])


async def statuses_of(session: AsyncSession, broadcast_ids: Sequence[int]) -> dict[int, str]:
    """The status of each of these broadcasts (those that exist)."""
    if not broadcast_ids:
        return {}
    rows = await session.execute(
        select(Broadcast.id, Broadcast.status).where(Broadcast.id.in_(sorted(set(broadcast_ids))))
    )
    return {broadcast_id: status for broadcast_id, status in rows.tuples()}


async def media_of(session: AsyncSession, broadcast_id: int) -> tuple[str, str | None, bytes] | None:
    """The broadcast's photo or file: (kind, file name, bytes), or None."""
    row = (
        await session.execute(
            select(Broadcast.media_kind, Broadcast.media_name, Broadcast.media).where(Broadcast.id == broadcast_id)
        )
    ).first()
    if row is None or row[0] is None or row[2] is None:
        return None
    return row[0], row[1], row[2]


async def recent(session: AsyncSession, limit: int = 5) -> list[Broadcast]:
    """The latest broadcasts, newest first (for /trangthai without a number)."""
    result = await session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit))
    return list(result)


# --------------------------------------------------------------------------- linked chats


async def record_chat_added(
    session: AsyncSession,
    *,
    platform: str,
    chat_id: str,
    kind: str,
    title: str | None,
    now: datetime,
    actor_id: int | None = None,
) -> LinkedChat:
    """The bot was added to a group or channel (again): the chat is active, its unit link kept."""
    chat = await _find_chat(session, platform, chat_id)
    if chat is None:
        chat = LinkedChat(
            platform=platform, chat_id=chat_id, kind=kind, title=title, active=True, added_at=now
        )
        session.add(chat)
    else:
        chat.kind, chat.title, chat.active, chat.removed_at = kind, title or chat.title, True, None
    await session.flush()
    audit.record(
        session, "chat.added", now=now, actor_id=actor_id, target=f"chat:{chat.id}", details={"kind": kind}
    )
    return chat


async def record_chat_seen(session: AsyncSession, *, platform: str, chat_id: str, kind: str, now: datetime) -> None:
    """The bot heard from a group it may not know (a command in a Zalo group): record it, once."""
    chat = await _find_chat(session, platform, chat_id)
    if chat is None or not chat.active:
        await record_chat_added(session, platform=platform, chat_id=chat_id, kind=kind,
                                title=chat.title if chat else None, now=now)


async def record_chat_removed(session: AsyncSession, *, platform: str, chat_id: str, now: datetime) -> bool:
    """The bot left or was removed: nothing is sent there until it is added again."""
    chat = await _find_chat(session, platform, chat_id)
    if chat is None or not chat.active:
        return False
    chat.active, chat.removed_at = False, now
    audit.record(session, "chat.removed", now=now, actor_id=None, target=f"chat:{chat.id}")
    return True


async def link_chat(
    session: AsyncSession, actor: Actor, *, platform: str, chat_id: str, unit: Unit, now: datetime
) -> LinkedChat:
    """Link a chat the bot sits in to a unit, so the unit's broadcasts reach it.

    Province admins link anything; a unit admin links chats to units of their own subtree.
    """
    allowed = [a.unit for a in actor.roles if a.role in (Role.PROVINCE_ADMIN, Role.UNIT_ADMIN)]
    if not any(is_in_subtree(admin_unit, unit) for admin_unit in allowed):
        raise UserFacingError("chat_not_allowed")
    chat = await _find_chat(session, platform, chat_id)
    if chat is None:
        raise UserFacingError("chat_unknown")
    chat.unit_id = unit.id
    chat.unit = unit
    audit.record(
        session,
        "chat.link",
        now=now,
        actor_id=actor.person_id if actor.person else None,
        target=f"chat:{chat.id}",
        details={"unit": unit.code},
    )
    return chat


async def migrate_chat(
    session: AsyncSession, *, platform: str, old_chat_id: str, new_chat_id: str, now: datetime
) -> LinkedChat | None:
    """A group became a supergroup (Telegram): keep its link and send to the new id from now on."""
    chat = await store.migrate_linked_chat(session, platform, old_chat_id, new_chat_id)
    if chat is not None:
        audit.record(session, "chat.migrate", now=now, actor_id=None, target=f"chat:{chat.id}")
    return chat


async def chats_to_link(session: AsyncSession, platform: str) -> list[tuple[LinkedChat, str | None]]:
    """The active groups and channels the bot sits in on `platform`, each with its unit's name if linked."""
    rows = await session.execute(
        select(LinkedChat, Unit.name)
        .outerjoin(Unit, Unit.id == LinkedChat.unit_id)
        .where(LinkedChat.platform == platform, LinkedChat.active.is_(True))
        .order_by(LinkedChat.id)
    )
    return [(chat, name) for chat, name in rows.tuples()]


async def _find_chat(session: AsyncSession, platform: str, chat_id: str) -> LinkedChat | None:
    return await session.scalar(
        select(LinkedChat).where(and_(LinkedChat.platform == platform, LinkedChat.chat_id == chat_id))
    )
