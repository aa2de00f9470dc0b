"""What the admins' desk reads of listening: the feedback inbox and the urgent issues board.

Both are limited to the reader's scope, decided here and not by the caller: the subtrees of the
units where they are a province or unit admin. The inbox is filtered and paginated in SQL (50,000
items must stay fast); the board shows every issue still open or acknowledged and the latest
resolved ones. Names are looked up in one query per page, never one per row; a citizen has no
name (none is ever stored) and anonymous feedback has no person at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.listening.feedback import ACKNOWLEDGED, ESCALATED, OPEN, RESOLVED, can_handle
from bot.services.people.people import ADMIN_ROLES, Actor, home_unit, roles_of
from bot.services.people.units import covers_every_root, fold
from storage.models import Feedback, Person, Role, Unit, UrgentIssue

PER_PAGE = 50
RESOLVED_SHOWN = 30  # the board's third column: the latest resolved issues
BOARD_LIMIT = 200  # open or acknowledged issues shown per column (a count says if there are more)
PREVIEW = 280  # characters of a feedback's text in the inbox's rows
# The inbox's "state" filter.
WAITING, ANSWERED, ANONYMOUS = "waiting", "answered", "anonymous"
STATES = (WAITING, ANSWERED, ESCALATED, ANONYMOUS)


def scope_paths(actor: Actor) -> list[str]:
    """The paths of the units this person administers: everything under them is theirs to read."""
    return [a.unit.path for a in actor.roles if a.role in ADMIN_ROLES]


def in_paths(paths: Sequence[str]) -> ColumnElement[bool]:
    """SQL over `Unit`: the unit lies in one of the subtrees (nothing when there are none)."""
    if not paths:
        return false()
    return or_(*(Unit.path.startswith(path, autoescape=True) for path in paths))


def visible(actor: Actor, unit: Unit) -> bool:
    """True when `unit` lies in a subtree this person administers."""
    return any(unit.path.startswith(path) for path in scope_paths(actor))


# --------------------------------------------------------------------------- the feedback inbox

@dataclass(frozen=True)
class InboxFilter:
    """What the inbox is narrowed to; every field is optional. Times are UTC, `until` exclusive."""

    category: str | None = None
    tone: str | None = None
    unit: Unit | None = None  # this unit's subtree (within the reader's scope)
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None  # words in the feedback's text (or its reference)
    state: str | None = None  # one of STATES


@dataclass(frozen=True)
class InboxRow:
    id: int
    reference: str
    created_at: datetime
    unit_name: str
    category: str
    tone: str | None
    text: str  # the first PREVIEW characters
    named: bool
    answered: bool
    escalated: bool


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    total: int
    page: int
    per_page: int = PER_PAGE

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def units_in(paths: Sequence[str]) -> Select[tuple[int]]:
    """The ids of the units in these subtrees, as a subquery: a row's `unit_id IN (...)` uses its
    index, where a join on the path would read every row first."""
    return select(Unit.id).where(in_paths(paths))


async def _scope(session: AsyncSession, actor: Actor) -> list[ColumnElement[bool]]:
    """The reader's feedback: of the units in their subtrees (no condition when those are the
    whole tree, as for a province admin of the only province)."""
    if await covers_every_root(session, actor.units_with(*ADMIN_ROLES)):
        return []
    return [Feedback.unit_id.in_(units_in(scope_paths(actor)))]


def _conditions(actor: Actor, wanted: InboxFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if wanted.unit is not None:
        where.append(Feedback.unit_id.in_(units_in([wanted.unit.path])))
    if wanted.category:
        where.append(Feedback.category == wanted.category)
    if wanted.tone:
        where.append(Feedback.tone == wanted.tone)
    if wanted.since is not None:
        where.append(Feedback.created_at >= wanted.since)
    if wanted.until is not None:
        where.append(Feedback.created_at < wanted.until)
    if wanted.text:  # with or without diacritics, in any case: "phong hoc" finds "Phòng học"
        words = wanted.text.strip()
        where.append(or_(Feedback.folded_text.contains(fold(words), autoescape=True),
                         Feedback.reference == words.upper()[:20]))
    where += _state(wanted.state)
    return where


def _state(state: str | None) -> list[ColumnElement[bool]]:
    if state == WAITING:  # named, nobody answered it nor turned it into an urgent issue
        return [Feedback.person_id.is_not(None), Feedback.answered_at.is_(None), Feedback.status != ESCALATED]
    if state == ANSWERED:
        return [Feedback.answered_at.is_not(None)]
    if state == ESCALATED:
        return [Feedback.status == ESCALATED]
    if state == ANONYMOUS:
        return [Feedback.person_id.is_(None)]
    return []


async def inbox(session: AsyncSession, actor: Actor, wanted: InboxFilter, page: int = 1) -> InboxPage:
    """One page of feedback in the reader's scope, newest first, and how many match in all."""
    page = max(1, page)
    where = await _scope(session, actor) + _conditions(actor, wanted) if scope_paths(actor) else [false()]
    total = await session.scalar(select(func.count()).select_from(Feedback).where(*where)) or 0
    rows = await session.execute(
        select(Feedback.id, Feedback.reference, Feedback.created_at, Unit.name, Feedback.category, Feedback.tone,
               func.substr(Feedback.text, 1, PREVIEW), Feedback.person_id, Feedback.answered_at, Feedback.status)
        .join(Unit, Unit.id == Feedback.unit_id)
        .where(*where)
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    )
    return InboxPage(
        [InboxRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] is not None, r[8] is not None, r[9] == ESCALATED)
         for r in rows.tuples()],
        total, page,
    )


@dataclass(frozen=True)
class Sender:
    """Who wrote named feedback: the name they typed (None for a citizen, who is never asked)
    and the unit they belong to."""

    full_name: str | None
    unit_name: str | None


@dataclass(frozen=True)
class FeedbackDetail:
    item: Feedback
    unit: Unit
    sender: Sender | None  # None: anonymous, or the sender erased their data
    answered_by: str | None  # the admin's name
    issue: UrgentIssue | None  # the urgent issue it became


async def feedback_detail(session: AsyncSession, feedback_id: int) -> FeedbackDetail | None:
    """One item with everything the desk shows about it; None when there is no such item.
    The caller checks it lies in the reader's scope (`visible`)."""
    found = (await session.execute(
        select(Feedback, Unit).join(Unit, Unit.id == Feedback.unit_id).where(Feedback.id == feedback_id)
    )).tuples().first()
    if found is None:
        return None
    item, unit = found
    sender = None
    if item.person_id is not None:
        person = await session.get(Person, item.person_id)
        if person is not None:
            roles = await roles_of(session, person.id)
            home = home_unit([r for r in roles if r.role != Role.CITIZEN] or roles)
            sender = Sender(person.full_name, home.name if home else None)
    names = await names_of(session, [item.answered_by])
    issue = await issue_of_feedback(session, item.id)
    return FeedbackDetail(item, unit, sender, names.get(item.answered_by or 0), issue)


async def names_of(session: AsyncSession, person_ids: Iterable[int | None]) -> dict[int, str | None]:
    """The registered names of some people at once (a citizen's is None; the forgotten are absent)."""
    ids = {i for i in person_ids if i is not None}
    if not ids:
        return {}
    rows = await session.execute(select(Person.id, Person.full_name).where(Person.id.in_(ids)))
    return dict(rows.tuples().all())


# --------------------------------------------------------------------------- the urgent issues board

@dataclass(frozen=True)
class IssueCard:
    issue: UrgentIssue
    raised_by: str | None
    acknowledged_by: str | None
    resolved_by: str | None
    can_act: bool  # the reader may acknowledge, reply and resolve (`feedback.can_handle`)


@dataclass(frozen=True)
class Board:
    columns: dict[str, list[IssueCard]]  # open, acknowledged, resolved
    counts: dict[str, int]  # how many there are in each (the resolved column shows the latest)


async def issue_board(session: AsyncSession, actor: Actor) -> Board:
    """Urgent issues in the reader's scope by status: every open and acknowledged one (oldest
    first: they wait longest) and the latest resolved ones."""
    scope = in_paths(scope_paths(actor))
    counts = await issue_counts(session, actor)
    found: dict[str, list[UrgentIssue]] = {}
    for status in (OPEN, ACKNOWLEDGED, RESOLVED):
        query = select(UrgentIssue).join(Unit, Unit.id == UrgentIssue.unit_id).where(scope, UrgentIssue.status == status)
        if status == RESOLVED:
            query = query.order_by(UrgentIssue.resolved_at.desc(), UrgentIssue.id.desc()).limit(RESOLVED_SHOWN)
        else:
            query = query.order_by(UrgentIssue.created_at, UrgentIssue.id).limit(BOARD_LIMIT)
        found[status] = list((await session.execute(query)).scalars())
    everyone = [i for issues in found.values() for i in issues]
    names = await names_of(session, [p for i in everyone for p in (i.raised_by, i.acknowledged_by, i.resolved_by)])
    columns = {status: [_card(i, names, actor) for i in issues] for status, issues in found.items()}
    return Board(columns, counts)


async def issue_counts(session: AsyncSession, actor: Actor) -> dict[str, int]:
    """How many urgent issues in the reader's scope are open, acknowledged and resolved."""
    counts = dict((await session.execute(
        select(UrgentIssue.status, func.count()).join(Unit, Unit.id == UrgentIssue.unit_id)
        .where(in_paths(scope_paths(actor))).group_by(UrgentIssue.status)
    )).tuples().all())
    return {status: int(counts.get(status, 0)) for status in (OPEN, ACKNOWLEDGED, RESOLVED)}


def _card(issue: UrgentIssue, names: dict[int, str | None], actor: Actor) -> IssueCard:
    def name(person_id: int | None) -> str | None:
        return names.get(person_id) if person_id is not None else None

    return IssueCard(issue, name(issue.raised_by), name(issue.acknowledged_by), name(issue.resolved_by),
                     can_handle(actor, issue))


async def issue_card(session: AsyncSession, actor: Actor, issue_id: int) -> IssueCard | None:
    """One issue as the board shows it, or None; the caller checks it lies in the reader's scope."""
    issue = await session.scalar(select(UrgentIssue).where(UrgentIssue.id == issue_id))
    if issue is None:
        return None
    names = await names_of(session, [issue.raised_by, issue.acknowledged_by, issue.resolved_by])
    return _card(issue, names, actor)


async def issue_of_feedback(session: AsyncSession, feedback_id: int) -> UrgentIssue | None:
    """The urgent issue a piece of feedback was turned into (the first, if ever more than one)."""
    return await session.scalar(
        select(UrgentIssue).where(UrgentIssue.feedback_id == feedback_id).order_by(UrgentIssue.id).limit(1)
    )
