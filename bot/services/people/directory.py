"""Who is registered where, for the admins' desk: counts of people by role per unit, the people
of one unit, and the units that still have no officer.

Only what an admin needs to act: the name a person typed when registering, their roles, the
platforms they use and whether the bot can still reach them. Citizens are counted, never listed:
no name of theirs is ever stored, and a list of their accounts would say more than they agreed to.
Every query is bounded to the reader's scope (the subtrees of the units they administer).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.services.people.people import ADMIN_ROLES, Actor
from bot.services.people.units import children, name_sort_key
from storage.models import Identity, Person, Role, RoleAssignment, Unit

PER_PAGE = 50
LISTED_ROLES = (Role.PROVINCE_ADMIN, Role.UNIT_ADMIN, Role.OFFICER, Role.MEMBER)  # citizens are only counted
_RANK = {role: index for index, role in enumerate(LISTED_ROLES)}


def may_read(actor: Actor, unit: Unit) -> bool:
    """The unit lies in a subtree this person administers."""
    return any(unit.path.startswith(own.path) for own in actor.units_with(*ADMIN_ROLES))


@dataclass
class UnitCounts:
    """People holding each role in a unit's subtree (a person with two roles counts in both)."""

    unit: Unit
    roles: Counter[str] = field(default_factory=Counter)
    units: int = 0  # units in the subtree that file reports (everything but the root)
    without_officer: int = 0  # of those, the units where no officer is registered

    def __getitem__(self, role: str) -> int:
        return self.roles[role]


@dataclass(frozen=True)
class Overview:
    """One unit's own people and, for each unit directly below it, the totals of its subtree."""

    unit: Unit
    own: UnitCounts  # roles held at the unit itself
    rows: list[UnitCounts]  # one per child, in name order
    total: UnitCounts  # the whole subtree


async def overview(session: AsyncSession, unit: Unit) -> Overview:
    """Counts by role for `unit` and each of its children's subtrees: two grouped queries."""
    prefix = unit.path
    by_unit = await session.execute(
        select(Unit.path, RoleAssignment.role, func.count(func.distinct(RoleAssignment.person_id)))
        .join(Unit, Unit.id == RoleAssignment.unit_id)
        .where(Unit.path.startswith(prefix, autoescape=True))
        .group_by(Unit.path, RoleAssignment.role)
    )
    officer_at = (
        select(RoleAssignment.id)
        .where(RoleAssignment.unit_id == Unit.id, RoleAssignment.role == Role.OFFICER)
        .exists()
    )
    filers = await session.execute(
        select(Unit.path, case((officer_at, 1), else_=0))
        .where(Unit.path.startswith(prefix, autoescape=True), Unit.parent_id.is_not(None))
    )
    below = await children(session, unit)
    rows = {child.path: UnitCounts(child) for child in below}
    own, total = UnitCounts(unit), UnitCounts(unit)

    def row_of(path: str) -> UnitCounts | None:
        rest = path[len(prefix):]
        if not rest:
            return None
        return rows.get(prefix + rest.split("/", 1)[0] + "/")

    for path, role, count in by_unit.tuples():
        total.roles[role] += count
        row = row_of(path)
        (row if row is not None else own).roles[role] += count
    for path, has_officer in filers.tuples():
        for counts in (total, row_of(path)):
            if counts is not None:
                counts.units += 1
                counts.without_officer += 0 if has_officer else 1
    return Overview(unit, own, list(rows.values()), total)


@dataclass(frozen=True)
class Account:
    platform: str
    reachable: bool  # the bot can still write there (not blocked)


@dataclass(frozen=True)
class Member:
    """Someone with a named role at a unit: their name, their roles there, their accounts."""

    person_id: int
    full_name: str | None
    roles: tuple[str, ...]
    accounts: tuple[Account, ...]

    @property
    def reachable(self) -> bool:
        return any(a.reachable for a in self.accounts)


@dataclass(frozen=True)
class PeoplePage:
    unit: Unit
    people: list[Member]
    total: int
    citizens: int  # counted, never listed
    page: int
    per_page: int = PER_PAGE

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total


async def people_at(session: AsyncSession, unit: Unit, page: int = 1) -> PeoplePage:
    """The people holding a named role at exactly this unit, admins first then by name; 50 a page."""
    page = max(1, page)
    named = (RoleAssignment.unit_id == unit.id, RoleAssignment.role.in_(LISTED_ROLES))
    rank = func.min(case(*((RoleAssignment.role == role, index) for role, index in _RANK.items()), else_=9))
    total = await session.scalar(select(func.count(func.distinct(RoleAssignment.person_id))).where(*named)) or 0
    citizens = await session.scalar(
        select(func.count()).select_from(RoleAssignment)
        .where(RoleAssignment.unit_id == unit.id, RoleAssignment.role == Role.CITIZEN)
    ) or 0
    found = (await session.execute(
        select(Person.id, Person.full_name)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(*named)
        .group_by(Person.id, Person.full_name)
        .order_by(rank, Person.full_name, Person.id)
        .offset((page - 1) * PER_PAGE).limit(PER_PAGE)
    )).tuples().all()
    ids = [person_id for person_id, _ in found]
    roles: dict[int, list[str]] = {}
    for person_id, role in (await session.execute(
        select(RoleAssignment.person_id, RoleAssignment.role).where(*named, RoleAssignment.person_id.in_(ids))
    )).tuples():
        roles.setdefault(person_id, []).append(role)
    accounts: dict[int, list[Account]] = {}
    for person_id, platform, unreachable_at in (await session.execute(
        select(Identity.person_id, Identity.platform, Identity.unreachable_at)
        .where(Identity.person_id.in_(ids)).order_by(Identity.id)
    )).tuples():
        accounts.setdefault(person_id, []).append(Account(platform, unreachable_at is None))
    people = [
        Member(person_id, name, tuple(sorted(roles.get(person_id, ()), key=lambda r: _RANK.get(r, 9))),
               tuple(accounts.get(person_id, ())))
        for person_id, name in found
    ]
    return PeoplePage(unit, people, total, citizens, page)


@dataclass(frozen=True)
class Missing:
    """A unit that files reports and has no registered officer yet."""

    unit: Unit
    parent_name: str | None


async def without_officer(session: AsyncSession, actor: Actor, under: Unit | None = None) -> list[Missing]:
    """Units in the reader's scope (under `under`, if given) that file reports (all but a root)
    and have no officer: whom to invite first. Districts before communes, then by the name of
    the unit above and by name."""
    scopes = [u.path for u in actor.units_with(*ADMIN_ROLES)]
    if under is not None:
        scopes = [under.path] if may_read(actor, under) else []
    if not scopes:
        return []
    has_officer = (
        select(RoleAssignment.id)
        .where(RoleAssignment.unit_id == Unit.id, RoleAssignment.role == Role.OFFICER)
        .exists()
    )
    parent = aliased(Unit)
    rows = await session.execute(
        select(Unit, parent.name)
        .outerjoin(parent, parent.id == Unit.parent_id)
        .where(or_(*(Unit.path.startswith(p, autoescape=True) for p in scopes)),
               Unit.parent_id.is_not(None), ~has_officer)
    )
    found = [Missing(unit, parent_name) for unit, parent_name in rows.tuples()]
    return sorted(found, key=lambda m: (m.unit.level, name_sort_key(m.parent_name or ""), name_sort_key(m.unit.name)))


async def trail(session: AsyncSession, actor: Actor, unit: Unit) -> list[Unit]:
    """The units above `unit` that the reader administers or reads, top first (a breadcrumb)."""
    codes = unit.path.strip("/").split("/")[:-1]
    if not codes:
        return []
    found = await session.scalars(select(Unit).where(Unit.code.in_(codes)))
    return sorted((u for u in found if may_read(actor, u)), key=lambda u: u.level)
