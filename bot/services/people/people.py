"""People, their platform identities and their roles.

Personal data is kept to the minimum (Decree 13/2023/NĐ-CP): a name the person typed, the
platform ids needed to write back, the units and roles. `forget` removes all of it. The name a
platform shows for an account is never taken: nobody typed it for us, and citizens are told
that no name of theirs is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.services import audit, notices
from storage.models import Conversation, Identity, Person, Role, RoleAssignment, Unit, rows_changed

ADMIN_ROLES = frozenset({Role.PROVINCE_ADMIN, Role.UNIT_ADMIN})


@dataclass(frozen=True)
class Actor:
    """Who is acting: a registered person with their roles, or a stranger (person None)."""

    person: Person | None
    roles: tuple[RoleAssignment, ...] = ()

    @property
    def registered(self) -> bool:
        return self.person is not None

    @property
    def role_names(self) -> frozenset[str]:
        return frozenset(r.role for r in self.roles)

    @property
    def person_id(self) -> int:
        """The acting person's id, for code that already checked the actor is registered."""
        if self.person is None:
            raise LookupError("an unregistered actor has no person id")
        return self.person.id

    def has_role(self, *roles: str) -> bool:
        return any(r.role in roles for r in self.roles)

    def units_with(self, *roles: str) -> list[Unit]:
        return [r.unit for r in self.roles if r.role in roles]


async def find_identity(session: AsyncSession, platform: str, external_id: str) -> Identity | None:
    """The identity with its person and roles (and their units) loaded."""
    stmt = (
        select(Identity)
        .where(Identity.platform == platform, Identity.external_id == external_id)
        .options(
            selectinload(Identity.person).selectinload(Person.roles).selectinload(RoleAssignment.unit),
            selectinload(Identity.person).selectinload(Person.identities),
        )
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def load_actor(session: AsyncSession, platform: str, external_id: str) -> Actor:
    identity = await find_identity(session, platform, external_id)
    if identity is None:
        return Actor(person=None)
    return Actor(person=identity.person, roles=tuple(identity.person.roles))


async def actor_of_person(session: AsyncSession, person_id: int) -> Actor:
    """The actor for a person known by id (the web console's signed-in person)."""
    stmt = (
        select(Person)
        .where(Person.id == person_id)
        .options(selectinload(Person.roles).selectinload(RoleAssignment.unit), selectinload(Person.identities))
    )
    person = (await session.execute(stmt)).scalar_one_or_none()
    if person is None:
        return Actor(person=None)
    return Actor(person=person, roles=tuple(person.roles))


async def register(
    session: AsyncSession,
    *,
    platform: str,
    external_id: str,
    chat_id: str,
    full_name: str | None,
    now: datetime,
) -> Person:
    """Create the person behind a platform identity (or return the existing one), with consent."""
    identity = await find_identity(session, platform, external_id)
    if identity is not None:
        if full_name:
            identity.person.full_name = full_name
        return identity.person
    person = Person(full_name=full_name, consent_at=now, created_at=now)
    person.identities.append(
        Identity(
            platform=platform,
            external_id=external_id,
            chat_id=chat_id,
            created_at=now,
        )
    )
    session.add(person)
    await session.flush()
    audit.record(session, "person.register", now=now, actor_id=person.id, target=f"person:{person.id}")
    return person


async def grant_role(
    session: AsyncSession,
    person: Person,
    unit: Unit,
    role: str,
    *,
    granted_by: int | None,
    now: datetime,
) -> RoleAssignment:
    """Give `person` the role at `unit`; granting it twice changes nothing."""
    existing = (
        await session.execute(
            select(RoleAssignment).where(
                RoleAssignment.person_id == person.id,
                RoleAssignment.unit_id == unit.id,
                RoleAssignment.role == role,
            )
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    assignment = RoleAssignment(
        person_id=person.id, unit_id=unit.id, role=role, granted_by=granted_by, created_at=now
    )
    assignment.unit = unit
    session.add(assignment)
    await session.flush()
    audit.record(
        session,
        "role.grant",
        now=now,
        actor_id=granted_by,
        target=f"person:{person.id}",
        details={"role": role, "unit": unit.code},
    )
    return assignment


async def full_name_of(session: AsyncSession, person_id: int | None) -> str | None:
    """The name a person registered with (to say who acted), or None when unknown or forgotten."""
    if person_id is None:
        return None
    person = await session.get(Person, person_id)
    return person.full_name if person is not None else None


async def roles_of(session: AsyncSession, person_id: int) -> list[RoleAssignment]:
    stmt = (
        select(RoleAssignment)
        .where(RoleAssignment.person_id == person_id)
        .options(selectinload(RoleAssignment.unit))
        .order_by(RoleAssignment.id)
    )
    return list((await session.execute(stmt)).scalars())


async def person_by_id(session: AsyncSession, person_id: int | None) -> Person | None:
    """A person named by a row (who answered, who wrote), or None once they are forgotten."""
    if person_id is None:
        return None
    return await session.get(Person, person_id)


def home_unit(roles: list[RoleAssignment] | tuple[RoleAssignment, ...]) -> Unit | None:
    """Where a person belongs: their first role below the root, else their first role's unit."""
    below_root = [a.unit for a in roles if a.unit.parent_id is not None]
    if below_root:
        return below_root[0]
    return roles[0].unit if roles else None


async def set_citizen_unit(session: AsyncSession, person: Person, unit: Unit, *, now: datetime) -> RoleAssignment:
    """A citizen says where they live: their citizen role moves to `unit` (only the unit is kept).

    The old citizen assignment is replaced, so a broadcast to the old commune's citizens no
    longer reaches them; the change is audited like any grant.
    """
    await session.execute(
        delete(RoleAssignment).where(
            RoleAssignment.person_id == person.id, RoleAssignment.role == Role.CITIZEN,
            RoleAssignment.unit_id != unit.id,
        )
    )
    return await grant_role(session, person, unit, Role.CITIZEN, granted_by=person.id, now=now)


async def mark_unreachable(session: AsyncSession, platform: str, external_id: str, now: datetime) -> bool:
    """The person blocked the bot: stop writing to this identity until they write again."""
    result = await session.execute(
        update(Identity)
        .where(Identity.platform == platform, Identity.external_id == external_id)
        .values(unreachable_at=now)
    )
    return rows_changed(result) > 0


async def mark_reachable(session: AsyncSession, identity: Identity) -> None:
    if identity.unreachable_at is not None:
        identity.unreachable_at = None


async def forget(session: AsyncSession, person: Person, *, now: datetime) -> None:
    """Delete the person, their identities, roles, conversations and the record of the notices
    sent to their chats. The audit keeps no name.

    Wrong codes tried from their accounts stay until their hour is over: erasing them would
    let a guesser start counting afresh by registering and erasing again.
    """
    platform_users = [(i.platform, i.external_id) for i in person.identities]
    await notices.forget_chats(session, [(i.platform, i.chat_id) for i in person.identities])
    for platform, external_id in platform_users:
        await session.execute(
            delete(Conversation).where(Conversation.platform == platform, Conversation.user_id == external_id)
        )
    person_id = person.id
    await session.delete(person)
    await session.flush()
    audit.record(session, "person.forget", now=now, actor_id=None, target=f"person:{person_id}")
