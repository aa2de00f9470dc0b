"""Single-use, expiring invites that bind their user to a unit and a role.

Codes are short, upper-case and free of look-alike characters, so a commune officer can type
one on Zalo from a printed sheet. Only their SHA-256 hash is stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.core.errors import UserFacingError
from bot.services import audit
from bot.services.people.people import Actor
from storage.models import Invite, Role, Unit, rows_changed

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CODE_LENGTH = 10
MAX_INVITES_PER_CALL = 500
_NOT_CODE_CHARS = re.compile(r"[\s\-_.]")


def normalise_code(text: str) -> str:
    """Accept what people type: lower case, spaces or dashes between groups."""
    return _NOT_CODE_CHARS.sub("", text).upper()


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def looks_like_code(text: str) -> bool:
    code = normalise_code(text)
    return len(code) == CODE_LENGTH and all(c in CODE_ALPHABET for c in code)


def grantable_roles(actor: Actor | None, unit: Unit) -> list[Role]:
    """Roles `actor` may invite people into at `unit` (None = the operator at the command line).

    A province admin may invite anyone anywhere; another province admin only at a root unit.
    A unit admin may invite officers and members in its own subtree, and admins strictly below.
    """
    if actor is None:
        return [r for r in Role if r != Role.CITIZEN]
    roles: set[Role] = set()
    for assignment in actor.roles:
        own = assignment.unit
        if not unit.path.startswith(own.path):
            continue
        if assignment.role == Role.PROVINCE_ADMIN:
            roles |= {Role.UNIT_ADMIN, Role.OFFICER, Role.MEMBER}
            if unit.parent_id is None:
                roles.add(Role.PROVINCE_ADMIN)
        elif assignment.role == Role.UNIT_ADMIN:
            roles |= {Role.OFFICER, Role.MEMBER}
            if unit.id != own.id:
                roles.add(Role.UNIT_ADMIN)
    return [r for r in Role if r in roles]


async def create_invites(
    session: AsyncSession,
    *,
    actor: Actor | None,
    unit: Unit,
    role: str,
    now: datetime,
    ttl: timedelta,
    count: int = 1,
) -> list[str]:
    """Create `count` invites and return their codes (shown once, never stored in clear)."""
    if not 1 <= count <= MAX_INVITES_PER_CALL:
        raise UserFacingError("invite_count", maximum=MAX_INVITES_PER_CALL)
    if role not in grantable_roles(actor, unit):
        raise UserFacingError("not_allowed")
    creator = actor.person.id if actor and actor.person else None
    codes = [new_code() for _ in range(count)]
    for code in codes:
        session.add(
            Invite(
                code_hash=hash_code(code),
                unit_id=unit.id,
                role=role,
                created_by=creator,
                created_at=now,
                expires_at=now + ttl,
            )
        )
    audit.record(
        session,
        "invite.create",
        now=now,
        actor_id=creator,
        target=f"unit:{unit.code}",
        details={"role": role, "count": count, "expires_at": (now + ttl).isoformat()},
    )
    await session.flush()
    return codes


async def find_valid_invite(session: AsyncSession, code: str, now: datetime) -> Invite:
    """The invite behind `code` if it can still be used; otherwise a clear refusal."""
    invite = (
        await session.execute(
            select(Invite).where(Invite.code_hash == hash_code(code)).options(selectinload(Invite.unit))
        )
    ).scalar_one_or_none()
    if invite is None:
        raise UserFacingError("invite_unknown")
    if invite.used_at is not None:
        raise UserFacingError("invite_used")
    if invite.expires_at <= now:
        raise UserFacingError("invite_expired")
    return invite


async def invite_by_id(session: AsyncSession, invite_id: int) -> Invite | None:
    """The invite a registration carried between steps, read again at the end (it may be used by now)."""
    return (await session.execute(select(Invite).where(Invite.id == invite_id))).scalar_one_or_none()


async def redeem(session: AsyncSession, invite: Invite, person_id: int, now: datetime) -> None:
    """Mark the invite used, atomically: of two people racing for one code, one wins."""
    result = await session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None), Invite.expires_at > now)
        .values(used_at=now, used_by=person_id)
    )
    if rows_changed(result) != 1:
        raise UserFacingError("invite_used")
    audit.record(
        session,
        "invite.redeem",
        now=now,
        actor_id=person_id,
        target=f"unit:{invite.unit.code}",
        details={"role": invite.role, "invite": invite.id},
    )


async def still_usable(session: AsyncSession, codes: Sequence[str], now: datetime) -> list[tuple[str, Invite]]:
    """The invites behind these codes that can still be used, with their codes, in the order
    given; used, expired, unknown or repeated codes are left out (a printed sheet shows only
    invites that work)."""
    hashes: dict[str, str] = {}
    for code in codes[:MAX_INVITES_PER_CALL]:
        if looks_like_code(code):
            hashes.setdefault(hash_code(code), normalise_code(code))
    if not hashes:
        return []
    rows = await session.execute(
        select(Invite)
        .where(Invite.code_hash.in_(list(hashes)), Invite.used_at.is_(None), Invite.expires_at > now)
        .options(selectinload(Invite.unit))
    )
    found = {invite.code_hash: invite for invite in rows.scalars()}
    return [(code, found[digest]) for digest, code in hashes.items() if digest in found]
