"""Who can be written to: the reachable accounts of people holding some roles at some units.

Reminders, review notices, urgent alerts, approval requests and a broadcast's audience all ask
the same question, and must answer it the same way: each person once, on the account they chose
(`linking.preferred_identity`: the preferred platform if reachable, else the oldest reachable
account), never on an account the bot can no longer reach (`Identity.unreachable_at`).

`reachable()` answers it for a known set of units. A broadcast's audience can hold a whole
province, so it streams its own pages, built from the same two SQL pieces (`written_to`,
`holds_role`): one definition of the rule either way.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Exists, and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.people.linking import is_preferred_identity
from storage.models import Identity, Person, RoleAssignment


@dataclass(frozen=True)
class Reachable:
    """One person's account to write to, and the asked-for units where they hold an asked-for role."""

    person_id: int
    identity_id: int
    platform: str
    chat_id: str
    unit_ids: frozenset[int]


def written_to() -> ColumnElement[bool]:
    """SQL over `Identity` joined with `Person`: reachable, and the account its person is written to."""
    return and_(Identity.unreachable_at.is_(None), is_preferred_identity())


def holds_role(roles: Iterable[str], *where: ColumnElement[bool]) -> Exists:
    """SQL over `Identity`: its person holds one of `roles` at a unit matching `where` (correlated EXISTS)."""
    return exists().where(
        RoleAssignment.person_id == Identity.person_id, RoleAssignment.role.in_(tuple(roles)), *where
    )


async def reachable(
    session: AsyncSession,
    *,
    roles: Iterable[str],
    unit_ids: Collection[int],
    except_person: int | None = None,
) -> list[Reachable]:
    """The people holding one of `roles` at one of `unit_ids`, each once, on their chosen account.

    Ordered by account (oldest first) so that the order of the notices is stable.
    """
    if not unit_ids:
        return []
    query = (
        select(Identity.id, Identity.person_id, Identity.platform, Identity.chat_id, RoleAssignment.unit_id)
        .join(Person, Person.id == Identity.person_id)
        .join(RoleAssignment, RoleAssignment.person_id == Identity.person_id)
        .where(RoleAssignment.role.in_(tuple(roles)), RoleAssignment.unit_id.in_(list(unit_ids)), written_to())
        .order_by(Identity.id)
    )
    if except_person is not None:
        query = query.where(Identity.person_id != except_person)
    units: dict[int, set[int]] = {}
    accounts: dict[int, tuple[int, str, str]] = {}
    for identity_id, person_id, platform, chat_id, unit_id in (await session.execute(query)).tuples():
        accounts.setdefault(person_id, (identity_id, platform, chat_id))
        units.setdefault(person_id, set()).add(unit_id)
    return [
        Reachable(person_id, identity_id, platform, chat_id, frozenset(units[person_id]))
        for person_id, (identity_id, platform, chat_id) in accounts.items()
    ]


def once_each(*groups: Iterable[Reachable]) -> list[Reachable]:
    """Several answers merged, each person once (the first answer that named them wins)."""
    seen: dict[int, Reachable] = {}
    for group in groups:
        for person in group:
            seen.setdefault(person.person_id, person)
    return list(seen.values())


def by_unit(people: Iterable[Reachable]) -> dict[int, list[Reachable]]:
    """Who holds a role at each unit (a person with the role at two units is under both)."""
    found: dict[int, list[Reachable]] = {}
    for person in people:
        for unit_id in sorted(person.unit_ids):
            found.setdefault(unit_id, []).append(person)
    return found


async def account_of(session: AsyncSession, person_id: int | None) -> Reachable | None:
    """The one account a notice to this person goes to (none if they cannot be reached)."""
    if person_id is None:
        return None
    row = (
        await session.execute(
            select(Identity.id, Identity.platform, Identity.chat_id)
            .join(Person, Person.id == Identity.person_id)
            .where(Identity.person_id == person_id, written_to())
        )
    ).first()
    if row is None:
        return None
    return Reachable(person_id, row.id, row.platform, row.chat_id, frozenset())
