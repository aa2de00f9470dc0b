"""One person, two platforms: linking a second account with a one-time code, and where to write.

A person registered on Telegram asks for a code (`/lienket`) and types it on Zalo (`/lienket
CODE`), or the other way round; the Zalo account then becomes another `Identity` of the same
person, with the same roles. Codes reuse the invite codes' alphabet and hashing (only the hash
is stored), expire quickly and work once.

Someone with accounts on both platforms gets each broadcast, reminder and notice once, on the
platform they chose (`Person.preferred_platform`; before they choose, the account they had
first). If that account is unreachable (the bot was blocked), the other one is used.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from bot.core.errors import UserFacingError
from bot.services import audit
from bot.services.people.invites import hash_code, new_code
from storage.models import Identity, LinkCode, Person, rows_changed

LINK_TTL = timedelta(minutes=30)


async def create_code(session: AsyncSession, person: Person, *, now: datetime, ttl: timedelta = LINK_TTL) -> str:
    """A fresh single-use code for `person` (shown once, stored only as its hash)."""
    code = new_code()
    session.add(LinkCode(code_hash=hash_code(code), person_id=person.id, created_at=now, expires_at=now + ttl))
    audit.record(session, "link.create", now=now, actor_id=person.id, target=f"person:{person.id}")
    await session.flush()
    return code


async def redeem(
    session: AsyncSession,
    code: str,
    *,
    platform: str,
    external_id: str,
    chat_id: str,
    now: datetime,
) -> Person:
    """Attach the account (platform, external_id) to the person behind `code`; refusals are clear."""
    link = (await session.execute(select(LinkCode).where(LinkCode.code_hash == hash_code(code)))).scalar_one_or_none()
    if link is None:
        raise UserFacingError("link_unknown")
    if link.used_at is not None:
        raise UserFacingError("link_used")
    if link.expires_at <= now:
        raise UserFacingError("link_expired")
    existing = (
        await session.execute(
            select(Identity).where(Identity.platform == platform, Identity.external_id == external_id)
        )
    ).scalar_one_or_none()
    if existing is not None:
        if existing.person_id == link.person_id:
            raise UserFacingError("link_already")
        raise UserFacingError("link_other_person")
    person = (
        await session.execute(
            select(Person).where(Person.id == link.person_id).options(selectinload(Person.identities))
        )
    ).scalar_one()
    if any(identity.platform == platform for identity in person.identities):
        raise UserFacingError("link_same_platform")
    used = await session.execute(
        update(LinkCode)
        .where(LinkCode.id == link.id, LinkCode.used_at.is_(None), LinkCode.expires_at > now)
        .values(used_at=now)
    )
    if rows_changed(used) != 1:
        raise UserFacingError("link_used")
    if person.preferred_platform is None and person.identities:
        # Nothing changes for the person until they choose: messages keep going where they went.
        person.preferred_platform = min(person.identities, key=lambda i: i.id).platform
    person.identities.append(
        Identity(platform=platform, external_id=external_id, chat_id=chat_id, created_at=now)
    )
    await session.flush()
    audit.record(session, "identity.link", now=now, actor_id=person.id, target=f"person:{person.id}",
                 details={"platform": platform})
    return person


async def set_preferred_platform(session: AsyncSession, person: Person, platform: str, *, now: datetime) -> None:
    if platform not in {identity.platform for identity in person.identities}:
        raise UserFacingError("not_allowed")
    person.preferred_platform = platform
    audit.record(session, "person.preferred_platform", now=now, actor_id=person.id, target=f"person:{person.id}",
                 details={"platform": platform})


def preferred_identity(
    identities: Iterable[Identity], preferred: str | None, platforms: Collection[str] | None = None
) -> Identity | None:
    """Where to write to a person: a reachable account on the preferred platform, else the oldest."""
    candidates = [
        i for i in identities if i.unreachable_at is None and (platforms is None or i.platform in platforms)
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda i: (i.platform != preferred, i.id))


async def preferred_chat(
    session: AsyncSession, platform: str, chat_id: str, platforms: Collection[str] | None = None
) -> tuple[str, str]:
    """The (platform, chat) a message meant for this private chat's person should go to.

    Chats that are not a person's (groups) and people with one account stay as they are.
    """
    identity = (
        await session.execute(
            select(Identity)
            .where(Identity.platform == platform, Identity.chat_id == chat_id)
            .options(selectinload(Identity.person).selectinload(Person.identities))
            .limit(1)
        )
    ).scalar_one_or_none()
    if identity is None:
        return platform, chat_id
    best = preferred_identity(identity.person.identities, identity.person.preferred_platform, platforms)
    return (best.platform, best.chat_id) if best is not None else (platform, chat_id)


def is_preferred_identity() -> ColumnElement[bool]:
    """SQL: this reachable `Identity` is the one its person is written to (see `preferred_identity`).

    For queries over `Identity` with `Person` joined (a broadcast's audience): no other reachable
    account of the same person outranks it — the preferred platform first, then the oldest.
    Portable (NOT EXISTS); tested against `preferred_identity`, the same rule in Python.
    """
    other = aliased(Identity)
    preferred = Person.preferred_platform
    outranks = or_(
        and_(other.platform == preferred, Identity.platform != preferred),
        and_(
            other.id < Identity.id,
            or_(preferred.is_(None), (other.platform == preferred) == (Identity.platform == preferred)),
        ),
    )
    return ~exists().where(
        other.person_id == Identity.person_id,
        other.id != Identity.id,
        other.unreachable_at.is_(None),
        outranks,
    )
