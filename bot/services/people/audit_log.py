"""Reading the audit log at the admins' desk, within the reader's scope.

Which entries an admin sees (one rule, here). An entry belongs to a unit's subtree when
  1. whoever acted holds a role at a unit of the subtree (today), or
  2. what it acted on lies in the subtree: the unit itself (`unit:<code>`), a report, urgent
     issue or feedback item of one of its units, a person holding a role there, or a group or
     channel linked to one of its units.
(A role granted at a unit targets the person, who then holds a role there; a chat linked to a
unit, or an issue raised at one, targets the chat or the issue: rule 2 covers them.)
A reader sees the entries of the subtrees of the units they administer; a province admin also
sees the entries without an actor (the scheduler's jobs, erased people, refused links), and an
admin of every top unit (a province admin where one province is served) sees the whole log. Filtering
by a unit applies the same rule to that unit's subtree. Pages are newest first, 50 at a time,
without counting the whole log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, cast, false, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.periods import Period
from bot.services.people.people import ADMIN_ROLES, Actor
from bot.services.people.units import covers_every_root, fold
from storage.models import (
    AuditEntry,
    Broadcast,
    Feedback,
    LinkedChat,
    Person,
    Report,
    Role,
    RoleAssignment,
    Unit,
    UrgentIssue,
)

PER_PAGE = 50
MAX_NAMED = 1000  # people a name filter may match


@dataclass(frozen=True)
class AuditFilter:
    actor_id: int | None = None
    actor_name: str | None = None  # part of a registered name, any case, with or without accents
    unit: Unit | None = None  # entries of this unit's subtree (the rule above)
    action: str | None = None  # an action code ("feedback.answer")
    since: datetime | None = None  # UTC, inclusive
    until: datetime | None = None  # UTC, exclusive


@dataclass(frozen=True)
class Target:
    """What an entry acted on: its kind (unit, report, issue, feedback, person, broadcast, poll,
    chat, account), its key, and what identifies it to a reader (a name, a reference), if known."""

    kind: str
    key: str
    label: str | None = None
    unit_name: str | None = None  # the unit of a report or an issue


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    action: str
    actor_id: int | None
    actor_name: str | None  # None: a citizen (no name is stored), or nobody
    actor_known: bool  # the person still exists (not erased)
    target: Target | None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    page: int
    has_next: bool
    unit_names: dict[str, str] = field(default_factory=dict)  # units named in the rows' details


def _paths(actor: Actor) -> list[str]:
    return [u.path for u in actor.units_with(*ADMIN_ROLES)]


def _in(paths: Sequence[str]) -> ColumnElement[bool]:
    return or_(*(Unit.path.startswith(path, autoescape=True) for path in paths)) if paths else false()


def belongs_to(paths: Sequence[str]) -> ColumnElement[bool]:
    """SQL over `AuditEntry`: the entry belongs to one of these subtrees (the module's rule)."""
    units_in = select(Unit.id).where(_in(paths))
    people_in = select(RoleAssignment.person_id).where(RoleAssignment.unit_id.in_(units_in))

    def named(prefix: str, column: Any, *where: ColumnElement[bool]) -> ColumnElement[bool]:
        return AuditEntry.target.in_(select(literal(prefix) + cast(column, String)).where(*where))

    return or_(
        AuditEntry.actor_id.in_(people_in),
        named("unit:", Unit.code, _in(paths)),
        named("report:", Report.id, Report.unit_id.in_(units_in)),
        named("issue:", UrgentIssue.id, UrgentIssue.unit_id.in_(units_in)),
        named("feedback:", Feedback.id, Feedback.unit_id.in_(units_in)),
        named("person:", RoleAssignment.person_id, RoleAssignment.unit_id.in_(units_in)),
        named("chat:", LinkedChat.id, LinkedChat.unit_id.in_(units_in)),
    )


async def _people_named(session: AsyncSession, paths: Sequence[str], text: str) -> list[int]:
    """People holding a role in these subtrees whose name holds `text` (any case, with or
    without accents: matched in Python, as SQL cannot fold Vietnamese the same on both databases)."""
    needle = fold(text)
    in_scope = select(RoleAssignment.person_id).where(RoleAssignment.unit_id.in_(select(Unit.id).where(_in(paths))))
    rows = await session.execute(
        select(Person.id, Person.full_name).where(Person.full_name.is_not(None), Person.id.in_(in_scope))
    )
    return [person_id for person_id, name in rows.tuples() if needle in fold(name or "")][:MAX_NAMED]


async def _conditions(session: AsyncSession, actor: Actor, wanted: AuditFilter) -> list[ColumnElement[bool]]:
    paths = _paths(actor)
    where: list[ColumnElement[bool]] = []
    if not await covers_every_root(session, actor.units_with(*ADMIN_ROLES)):
        scope = belongs_to(paths)
        where.append(or_(scope, AuditEntry.actor_id.is_(None)) if actor.has_role(Role.PROVINCE_ADMIN) else scope)
    if wanted.unit is not None:
        where.append(belongs_to([wanted.unit.path]))
    if wanted.actor_id is not None:
        where.append(AuditEntry.actor_id == wanted.actor_id)
    if wanted.actor_name:
        where.append(AuditEntry.actor_id.in_(await _people_named(session, paths, wanted.actor_name)))
    if wanted.action:
        where.append(AuditEntry.action == wanted.action)
    if wanted.since is not None:
        where.append(AuditEntry.at >= wanted.since)
    if wanted.until is not None:
        where.append(AuditEntry.at < wanted.until)
    return where


async def entries(session: AsyncSession, actor: Actor, wanted: AuditFilter, page: int = 1) -> AuditPage:
    """One page of the entries this admin may read, newest first."""
    page = max(1, page)
    if not _paths(actor):
        return AuditPage([], page, False)
    found = list((await session.execute(
        select(AuditEntry).where(*await _conditions(session, actor, wanted))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)
    )).scalars())
    shown = found[:PER_PAGE]
    names = await _names(session, [e.actor_id for e in shown])
    targets = await _targets(session, [e.target for e in shown if e.target])
    named_units = {str(e.details["unit"]) for e in shown if isinstance(e.details, dict) and e.details.get("unit")}
    unit_names = {code: t.label or code for code, t in (await _units(session, named_units)).items()}
    rows = [
        AuditRow(e.id, e.at, e.action, e.actor_id, names.get(e.actor_id) if e.actor_id else None,
                 e.actor_id in names, targets.get(e.target) if e.target else None, dict(e.details or {}))
        for e in shown
    ]
    return AuditPage(rows, page, len(found) > PER_PAGE, unit_names)


async def _names(session: AsyncSession, ids: Iterable[int | None]) -> dict[int | None, str | None]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(Person.id, Person.full_name).where(Person.id.in_(wanted)))
    return dict(rows.tuples().all())


def _ids(keys: Iterable[str]) -> list[int]:
    return [int(key) for key in keys if key.isdigit() and len(key) < 12]


async def _targets(session: AsyncSession, raw: Sequence[str]) -> dict[str, Target]:
    """What each target names, looked up once per kind for the whole page."""
    by_kind: dict[str, set[str]] = {}
    for target in raw:
        kind, _, key = target.partition(":")
        by_kind.setdefault(kind, set()).add(key)
    found: dict[str, Target] = {}
    for kind, keys in by_kind.items():
        looked_up = await _LOOK_UP[kind](session, keys) if kind in _LOOK_UP else {}
        for key in keys:
            found[f"{kind}:{key}"] = looked_up.get(key) or _bare(kind, key)
    return found


def _bare(kind: str, key: str) -> Target:
    if kind == "account":  # "telegram:12345": the platform only; an account's id is no reader's business
        return Target(kind, key.partition(":")[0])
    return Target(kind, key)


async def _units(session: AsyncSession, keys: set[str]) -> dict[str, Target]:
    if not keys:
        return {}
    rows = await session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(keys)))
    return {code: Target("unit", code, name) for code, name in rows.tuples()}


async def _reports(session: AsyncSession, keys: set[str]) -> dict[str, Target]:
    rows = await session.execute(
        select(Report.id, Report.period_key, Unit.name).join(Unit, Unit.id == Report.unit_id)
        .where(Report.id.in_(_ids(keys)))
    )
    return {str(i): Target("report", str(i), _period_label(period), unit) for i, period, unit in rows.tuples()}


def _period_label(key: str) -> str:
    try:
        return Period.parse(key).label
    except ValueError:
        return key


async def _issues(session: AsyncSession, keys: set[str]) -> dict[str, Target]:
    rows = await session.execute(
        select(UrgentIssue.id, UrgentIssue.reference, Unit.name).join(Unit, Unit.id == UrgentIssue.unit_id)
        .where(UrgentIssue.id.in_(_ids(keys)))
    )
    return {str(i): Target("issue", str(i), reference, unit) for i, reference, unit in rows.tuples()}


async def _feedback(session: AsyncSession, keys: set[str]) -> dict[str, Target]:
    rows = await session.execute(
        select(Feedback.id, Feedback.reference, Unit.name).join(Unit, Unit.id == Feedback.unit_id)
        .where(Feedback.id.in_(_ids(keys)))
    )
    return {str(i): Target("feedback", str(i), reference, unit) for i, reference, unit in rows.tuples()}


async def _people(session: AsyncSession, keys: set[str]) -> dict[str, Target]:
    rows = await session.execute(select(Person.id, Person.full_name).where(Person.id.in_(_ids(keys))))
    return {str(i): Target("person", str(i), name) for i, name in rows.tuples()}


async def _chats(session: AsyncSession, keys: set[str]) -> dict[str, Target]:
    rows = await session.execute(select(LinkedChat.id, LinkedChat.title).where(LinkedChat.id.in_(_ids(keys))))
    return {str(i): Target("chat", str(i), title) for i, title in rows.tuples()}


async def _broadcasts(session: AsyncSession, keys: set[str]) -> dict[str, Target]:
    rows = await session.execute(select(Broadcast.id).where(Broadcast.id.in_(_ids(keys))))
    return {str(i): Target("broadcast", str(i), str(i)) for i in rows.scalars()}


_LOOK_UP = {
    "unit": _units, "report": _reports, "issue": _issues, "feedback": _feedback, "person": _people,
    "chat": _chats, "broadcast": _broadcasts,
}


async def people_in_log(session: AsyncSession, person_ids: Sequence[int]) -> dict[int, str | None]:
    """Names for a filter's chosen person (the page says whose entries it shows)."""
    return {k: v for k, v in (await _names(session, person_ids)).items() if k is not None}
