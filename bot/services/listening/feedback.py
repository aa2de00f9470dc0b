"""Feedback from members and citizens, officers' observations, and urgent issues.

Privacy first (Decree 13/2023/NĐ-CP): anonymous feedback keeps no person, no platform id and
nothing else that leads back to its sender; the per-sender rate limit counts keyed hashes of
senders, forgotten after the hour. Urgent issues are tickets (open → acknowledged → resolved) that alert the province and
the unit above at once, and again while nobody acknowledges them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import UserFacingError
from bot.core.forms import FORMS_DIR
from bot.core.messages import Choice
from bot.services import audit
from bot.services.people.invites import CODE_ALPHABET
from bot.services.people.people import Actor
from bot.services.people.reachable import Reachable, once_each, reachable
from storage.claims import lock_for_transaction
from storage.models import (
    Feedback,
    FeedbackSend,
    Observation,
    Role,
    Unit,
    UrgentIssue,
    rows_changed,
)

CONFIG_FILE = FORMS_DIR / "feedback.yaml"
OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"
ESCALATED = "escalated"  # feedback an admin turned into an urgent issue


@dataclass(frozen=True)
class FeedbackConfig:
    categories: tuple[Choice, ...]
    tones: tuple[Choice, ...]
    text_max_length: int = 1000
    max_photos: int = 3
    per_person_per_hour: int = 5
    urgent_ack_minutes: int = 120

    def category_label(self, value: str) -> str:
        return next((c.label for c in self.categories if c.value == value), value)

    def tone_label(self, value: str | None) -> str:
        return next((c.label for c in self.tones if c.value == value), "—")


def _choices(items: list[dict[str, Any]]) -> tuple[Choice, ...]:
    return tuple(Choice(str(i["value"]), str(i["label"])) for i in items)


@cache
def load_config(path: Path = CONFIG_FILE) -> FeedbackConfig:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return FeedbackConfig(
        categories=_choices(data["categories"]),
        tones=_choices(data["tones"]),
        text_max_length=int(data.get("text_max_length", 1000)),
        max_photos=int(data.get("max_photos", 3)),
        per_person_per_hour=int(data.get("per_person_per_hour", 5)),
        urgent_ack_minutes=int(data.get("urgent_ack_minutes", 120)),
    )


SEND_WINDOW = timedelta(hours=1)


@dataclass
class SenderLimit:
    """At most `per_hour` items per sender in any hour, counted in the database.

    The database, so that every process counts the same sends. A sender is stored as an HMAC
    under `key` (the service derives it from its secrets, so it is the same in every process and
    not in the database), never as the account, and each row is deleted once its hour is over:
    anonymous senders leave no trace that leads back to them.
    """

    per_hour: int
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def _hash(self, sender: str) -> str:
        return hmac.new(self.key, sender.encode(), hashlib.sha256).hexdigest()

    async def _count(self, session: AsyncSession, sender: str, now: datetime) -> int:
        return await session.scalar(
            select(func.count()).select_from(FeedbackSend).where(
                FeedbackSend.sender == self._hash(sender), FeedbackSend.at > now - SEND_WINDOW
            )
        ) or 0

    async def full(self, session: AsyncSession, sender: str, now: datetime) -> bool:
        """True when `sender` has used up the hour (without counting this as an attempt)."""
        return await self._count(session, sender, now) >= self.per_hour

    async def allow(self, session: AsyncSession, sender: str, now: datetime) -> bool:
        """Count one send if the hour has room for it (in the caller's transaction). The sender's
        count is held until that transaction ends, so two processes never both take the last place."""
        hashed = self._hash(sender)
        await lock_for_transaction(session, f"feedback-sends:{hashed}")
        if await self._count(session, sender, now) >= self.per_hour:
            return False
        session.add(FeedbackSend(sender=hashed, at=now))
        await session.flush()
        return True


async def prune_sends(session: AsyncSession, now: datetime) -> int:
    """Forget sends that no longer count (housekeeping)."""
    return rows_changed(await session.execute(delete(FeedbackSend).where(FeedbackSend.at <= now - SEND_WINDOW)))


def new_reference(prefix: str, now: datetime) -> str:
    """A short reference people can read out on the phone: 'PA-2611-7K3Q'."""
    return f"{prefix}-{now:%d%m}-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(4))


async def _unique_reference(session: AsyncSession, model: type[Feedback | UrgentIssue], prefix: str, now: datetime) -> str:
    while True:
        reference = new_reference(prefix, now)
        taken = await session.scalar(select(model.id).where(model.reference == reference))
        if taken is None:
            return reference


async def submit_feedback(
    session: AsyncSession,
    *,
    unit: Unit,
    category: str,
    tone: str | None,
    text: str,
    photos: list,
    person_id: int | None,
    now: datetime,
) -> Feedback:
    """Store feedback; `person_id` None means anonymous, and nothing else identifies the sender."""
    item = Feedback(
        reference=await _unique_reference(session, Feedback, "PA", now),
        unit_id=unit.id,
        category=category,
        tone=tone,
        text=text,
        photos=list(photos),
        person_id=person_id,
        created_at=now,
    )
    session.add(item)
    await session.flush()
    return item


async def record_observation(
    session: AsyncSession, actor: Actor, unit: Unit, *, category: str, tone: str, text: str,
    people_count: int, now: datetime,
) -> Observation:
    if not any(a.unit_id == unit.id and a.role in (Role.OFFICER, Role.UNIT_ADMIN) for a in actor.roles):
        raise UserFacingError("not_officer")
    item = Observation(
        unit_id=unit.id, officer_id=actor.person_id, category=category, tone=tone, text=text,
        people_count=people_count, created_at=now,
    )
    session.add(item)
    await session.flush()
    return item


async def raise_issue(
    session: AsyncSession, actor: Actor, unit: Unit, *, category: str, text: str, now: datetime,
    feedback_id: int | None = None,
) -> UrgentIssue:
    """Open a ticket; officers for their unit, admins above for a unit (or feedback) below them."""
    allowed = any(
        (a.role in (Role.OFFICER, Role.UNIT_ADMIN) and a.unit_id == unit.id)
        or (a.role in (Role.UNIT_ADMIN, Role.PROVINCE_ADMIN) and unit.path.startswith(a.unit.path))
        for a in actor.roles
    )
    if not allowed:
        raise UserFacingError("not_allowed")
    issue = UrgentIssue(
        reference=await _unique_reference(session, UrgentIssue, "KC", now),
        unit_id=unit.id, raised_by=actor.person_id, feedback_id=feedback_id, category=category,
        text=text, status=OPEN, created_at=now, alerts=1, last_alert_at=now,
    )
    issue.unit = unit
    session.add(issue)
    await session.flush()
    audit.record(session, "issue.raise", now=now, actor_id=actor.person_id, target=f"issue:{issue.id}",
                 details={"unit": unit.code, "category": category, "feedback": feedback_id})
    if feedback_id is not None:
        await session.execute(update(Feedback).where(Feedback.id == feedback_id).values(status=ESCALATED))
    return issue


def can_handle(actor: Actor, issue: UrgentIssue) -> bool:
    """Province admins, and admins of any unit above the issue's unit."""
    return any(
        a.role == Role.PROVINCE_ADMIN
        or (a.role == Role.UNIT_ADMIN and issue.unit.path.startswith(a.unit.path) and a.unit_id != issue.unit_id)
        for a in actor.roles
    )


async def change_status(session: AsyncSession, issue: UrgentIssue, actor: Actor, status: str, now: datetime) -> None:
    if not can_handle(actor, issue):
        raise UserFacingError("not_allowed")
    if status == ACKNOWLEDGED and issue.status == OPEN:
        issue.status, issue.acknowledged_at, issue.acknowledged_by = ACKNOWLEDGED, now, actor.person_id
    elif status == RESOLVED and issue.status != RESOLVED:
        issue.status, issue.resolved_at, issue.resolved_by = RESOLVED, now, actor.person_id
        if issue.acknowledged_at is None:
            issue.acknowledged_at, issue.acknowledged_by = now, actor.person_id
    else:
        raise UserFacingError("issue_already", status=status)
    audit.record(session, f"issue.{status}", now=now, actor_id=actor.person_id, target=f"issue:{issue.id}")


async def alert_recipients(session: AsyncSession, unit: Unit) -> list[Reachable]:
    """Province admins and the admins of the unit's parent: each person once, on their chosen account."""
    codes = unit.path.strip("/").split("/")
    ancestors = (await session.execute(select(Unit).where(Unit.code.in_(codes[:-1])))).scalars().all()
    root_ids = [u.id for u in ancestors if u.parent_id is None]
    parent_ids = [u.id for u in ancestors if u.code == (codes[-2] if len(codes) > 1 else None)]
    return once_each(
        await reachable(session, roles=(Role.PROVINCE_ADMIN,), unit_ids=root_ids),
        await reachable(session, roles=(Role.UNIT_ADMIN, Role.PROVINCE_ADMIN), unit_ids=parent_ids),
    )


async def issues_to_realert(session: AsyncSession, now: datetime, after: timedelta) -> list[UrgentIssue]:
    """Open issues whose last alert is older than `after`; each is claimed for this process."""
    candidates = (
        await session.execute(
            select(UrgentIssue).where(UrgentIssue.status == OPEN, UrgentIssue.last_alert_at <= now - after)
        )
    ).scalars().all()
    claimed = []
    for issue in candidates:
        result = await session.execute(
            update(UrgentIssue)
            .where(UrgentIssue.id == issue.id, UrgentIssue.last_alert_at == issue.last_alert_at)
            .values(last_alert_at=now, alerts=UrgentIssue.alerts + 1)
            .execution_options(synchronize_session=False)
        )
        if rows_changed(result) == 1:
            claimed.append(issue)
    return claimed


async def feedback_by_id(session: AsyncSession, feedback_id: int) -> Feedback | None:
    """The feedback an admin's button names, or None if it is gone (forgotten on request)."""
    return (await session.execute(select(Feedback).where(Feedback.id == feedback_id))).scalar_one_or_none()


async def feedback_by_reference(session: AsyncSession, reference: str) -> Feedback | None:
    """The feedback a sender names by its reference ("PA-2611-7K3Q", any case)."""
    stmt = select(Feedback).where(Feedback.reference == reference.strip().upper()[:20])
    return (await session.execute(stmt)).scalar_one_or_none()


def can_answer(actor: Actor, unit: Unit) -> bool:
    """Province admins, and the admins of the feedback's unit or of any unit above it."""
    return any(
        a.role == Role.PROVINCE_ADMIN or (a.role == Role.UNIT_ADMIN and unit.path.startswith(a.unit.path))
        for a in actor.roles
    )


def check_answerable(actor: Actor, item: Feedback, unit: Unit) -> None:
    """Only named feedback has someone to answer, and only the admins over its place answer it."""
    if not can_answer(actor, unit):
        raise UserFacingError("not_allowed")
    if item.person_id is None:
        raise UserFacingError("feedback_anonymous")


async def answer_feedback(
    session: AsyncSession, item: Feedback, unit: Unit, actor: Actor, text: str, now: datetime
) -> bool:
    """Store an admin's answer once; False when another admin answered first (theirs stays).

    The guarded UPDATE makes two admins answering at the same moment leave exactly one answer.
    """
    check_answerable(actor, item, unit)
    result = await session.execute(
        update(Feedback)
        .where(Feedback.id == item.id, Feedback.answered_at.is_(None))
        .values(answer=text, answered_at=now, answered_by=actor.person_id)
    )
    await session.refresh(item)  # the answer stored, ours or the one that came first
    if rows_changed(result) == 0:
        return False
    audit.record(session, "feedback.answer", now=now, actor_id=actor.person_id, target=f"feedback:{item.id}")
    return True


def sender_view(actor: Actor, item: Feedback | None, reference: str) -> Feedback:
    """The sender's own named feedback; anyone else's, or anonymous feedback, is not found."""
    if item is None or actor.person is None or item.person_id != actor.person.id:
        raise UserFacingError("feedback_not_yours", reference=reference[:30])
    return item


async def issue_by_id(session: AsyncSession, issue_id: int) -> UrgentIssue | None:
    """The urgent issue an alert's button names, or None."""
    return (await session.execute(select(UrgentIssue).where(UrgentIssue.id == issue_id))).scalar_one_or_none()


def _admin_scopes(actor: Actor) -> list[str]:
    return [a.unit.path for a in actor.roles if a.role in (Role.PROVINCE_ADMIN, Role.UNIT_ADMIN)]


async def issues_waiting(session: AsyncSession, actor: Actor, limit: int = 50) -> list[UrgentIssue]:
    """Urgent issues this person may handle that wait for someone: open ones, and those they
    acknowledged themselves and have not resolved yet. Oldest first."""
    if not _admin_scopes(actor) or actor.person is None:
        return []
    rows = await session.scalars(
        select(UrgentIssue)
        .where(or_(UrgentIssue.status == OPEN,
                   (UrgentIssue.status == ACKNOWLEDGED) & (UrgentIssue.acknowledged_by == actor.person.id)))
        .order_by(UrgentIssue.created_at, UrgentIssue.id)
    )
    return [issue for issue in rows if can_handle(actor, issue)][:limit]


async def named_feedback_waiting(
    session: AsyncSession, actor: Actor, limit: int = 50
) -> list[tuple[Feedback, Unit]]:
    """Named feedback in this admin's units that nobody answered nor turned into an urgent issue:
    what still owes its sender a word (anonymous feedback has no one to answer)."""
    scopes = _admin_scopes(actor)
    if not scopes:
        return []
    escalated = select(UrgentIssue.id).where(UrgentIssue.feedback_id == Feedback.id).exists()
    rows = await session.execute(
        select(Feedback, Unit).join(Unit, Feedback.unit_id == Unit.id)
        .where(Feedback.person_id.is_not(None), Feedback.answered_at.is_(None), ~escalated,
               or_(*(Unit.path.startswith(p) for p in scopes)))
        .order_by(Feedback.created_at, Feedback.id)
        .limit(limit)
    )
    return [(item, unit) for item, unit in rows.tuples()]
