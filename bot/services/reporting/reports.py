"""Periodic reports: one per (unit, period), shared by the unit's officers, reviewed above.

Rules live here, not in the chat flow: who may file and review, when a report can still be
changed, what "late" means, how quarter/half/year reports are pre-filled from the months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import UserFacingError
from bot.core.forms import Form, current_form, form_for
from bot.core.periods import MONTHS_IN, Level, Period, PeriodKind, Schedule, period_bounds
from bot.services import audit
from bot.services.people.people import Actor
from bot.services.people.reachable import Reachable, reachable
from storage.models import GroupShare, Observation, Report, ReportStatus, Role, Unit

FILERS = (Role.OFFICER, Role.UNIT_ADMIN)
REVIEWERS = (Role.UNIT_ADMIN, Role.PROVINCE_ADMIN)
COUNTED = (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED)  # sent up and not sent back
MOOD_QUESTION = "sentiment"  # the form question that officers' observations pre-fill
SHARES_QUESTION = "posts"  # the form question that officers' shares into Zalo groups pre-fill


async def unit_level(session: AsyncSession, unit: Unit) -> Level:
    """The root receives reports; a unit with children is a district; a leaf is a commune."""
    if unit.parent_id is None:
        return Level.PROVINCE
    has_children = (await session.execute(select(exists().where(Unit.parent_id == unit.id)))).scalar()
    return Level.DISTRICT if has_children else Level.COMMUNE


def filing_units(actor: Actor) -> list[Unit]:
    """Units this person files reports for (officers, and unit admins for their own unit)."""
    seen: dict[int, Unit] = {}
    for assignment in actor.roles:
        if assignment.role in FILERS and assignment.unit.parent_id is not None:
            seen.setdefault(assignment.unit.id, assignment.unit)
    return list(seen.values())


def require_filer(actor: Actor, unit: Unit) -> None:
    if not any(a.role in FILERS and a.unit_id == unit.id for a in actor.roles):
        raise UserFacingError("not_officer")


def can_review(actor: Actor, unit: Unit) -> bool:
    """Admins of any unit strictly above `unit` may review its reports."""
    return any(
        a.role in REVIEWERS and unit.path.startswith(a.unit.path) and a.unit_id != unit.id for a in actor.roles
    )


async def find(session: AsyncSession, unit: Unit, period: Period) -> Report | None:
    return (
        await session.execute(
            select(Report).where(
                Report.unit_id == unit.id, Report.period_kind == period.kind, Report.period_key == period.key
            )
        )
    ).scalar_one_or_none()


async def get_report(session: AsyncSession, report_id: int) -> Report:
    """The report a filing conversation carries by id; it exists."""
    return (await session.execute(select(Report).where(Report.id == report_id))).scalar_one()


async def find_report(session: AsyncSession, report_id: int) -> Report | None:
    """The report a review button names, or None if it is gone."""
    return (await session.execute(select(Report).where(Report.id == report_id))).scalar_one_or_none()


async def get_or_create(
    session: AsyncSession, unit: Unit, period: Period, schedule: Schedule, now: datetime
) -> Report:
    """The unit's report for the period; a new one is a draft on the current form."""
    report = await find(session, unit, period)
    if report is not None:
        return report
    form = current_form()
    level = await unit_level(session, unit)
    report = Report(
        unit_id=unit.id,
        period_kind=period.kind,
        period_key=period.key,
        form_id=form.id,
        form_version=form.version,
        status=ReportStatus.DRAFT,
        answers={},
        deadline=schedule.deadline(period, level),
        created_at=now,
        updated_at=now,
    )
    report.unit = unit
    session.add(report)
    await session.flush()
    return report


def form_of(report: Report) -> Form:
    return form_for(report.form_id, report.form_version)


def is_editable(report: Report, now: datetime) -> bool:
    """Drafts and returned reports can change; a submitted one only until its deadline."""
    if report.status in (ReportStatus.DRAFT, ReportStatus.RETURNED):
        return True
    return report.status == ReportStatus.SUBMITTED and now <= report.deadline


def require_editable(report: Report, now: datetime) -> None:
    if not is_editable(report, now):
        key = "report_accepted" if report.status == ReportStatus.ACCEPTED else "report_locked"
        raise UserFacingError(key)


def missing_answers(report: Report) -> list[str]:
    form = form_of(report)
    return [q.key for q in form.questions if not q.optional and q.key not in report.answers]


async def set_answer(
    session: AsyncSession, report: Report, key: str, value: Any, *, actor_id: int | None, now: datetime
) -> None:
    """Save one answer at once; changing a submitted report reopens it until it is sent again."""
    require_editable(report, now)
    before = report.answers.get(key)
    report.answers = {**report.answers, key: value}
    if report.status == ReportStatus.SUBMITTED:
        report.status = ReportStatus.DRAFT
    report.revision += 1
    report.updated_at = now
    if before != value:
        audit.record(
            session, "report.answer", now=now, actor_id=actor_id, target=f"report:{report.id}",
            details={"question": key, "before": before, "after": value},
        )


async def prefill(
    session: AsyncSession, report: Report, *, use_last_month: bool = False, tz_name: str = "Asia/Ho_Chi_Minh"
) -> dict[str, Any]:
    """Starting answers: sums of the months for a longer period, or last month's answers; and
    the public-mood question from the officers' observations recorded during the period."""
    period = Period.parse(report.period_key)
    form = form_of(report)
    start: dict[str, Any] = await _observed_mood(session, report, form, period, tz_name)
    if period.kind == PeriodKind.MONTH:
        start.update(await shared_posts(session, report, tz_name))
        if not use_last_month:
            return start
        previous = await _report_for(session, report.unit_id, period.previous())
        if previous is None:
            return start
        return {**{k: v for k, v in previous.answers.items() if k != "photos"}, **start}
    months = [m.key for m in period.months()]
    rows = (
        await session.execute(
            select(Report).where(
                Report.unit_id == report.unit_id,
                Report.period_kind == PeriodKind.MONTH,
                Report.period_key.in_(months),
                Report.status != ReportStatus.DRAFT,
            )
        )
    ).scalars()
    for month in rows:
        for key in form.summable_keys:
            if isinstance(month.answers.get(key), int):
                start[key] = start.get(key, 0) + month.answers[key]
    if SHARES_QUESTION not in start:  # the months' figures (shares already in them) come first
        start.update(await shared_posts(session, report, tz_name))
    return start


async def shared_posts(session: AsyncSession, report: Report, tz_name: str = "Asia/Ho_Chi_Minh") -> dict[str, int]:
    """The Zalo groups the unit's officers said they forwarded broadcasts into during the period
    (`broadcasts.shares`), as a suggestion for the posts-on-social-media question; {} if none."""
    form = form_of(report)
    if SHARES_QUESTION not in {q.key for q in form.questions}:
        return {}
    begin, end = period_bounds(Period.parse(report.period_key), tz_name)
    total = await session.scalar(
        select(func.sum(GroupShare.groups)).where(
            GroupShare.unit_id == report.unit_id, GroupShare.shared_at >= begin, GroupShare.shared_at < end
        )
    )
    if not total:
        return {}
    question = form.question(SHARES_QUESTION)
    return {SHARES_QUESTION: min(int(total), question.maximum)}


async def _observed_mood(session: AsyncSession, report: Report, form: Form, period: Period, tz_name: str) -> dict:
    """What officers recorded with /ghinhan during the period, as a draft of the mood question."""
    if MOOD_QUESTION not in {q.key for q in form.questions}:
        return {}
    begin, end = period_bounds(period, tz_name)
    texts = (
        await session.execute(
            select(Observation.text).where(
                Observation.unit_id == report.unit_id, Observation.created_at >= begin, Observation.created_at < end
            ).order_by(Observation.created_at)
        )
    ).scalars().all()
    if not texts:
        return {}
    limit = form.question(MOOD_QUESTION).max_length
    return {MOOD_QUESTION: " ".join(texts)[:limit]}


async def _report_for(session: AsyncSession, unit_id: int, period: Period) -> Report | None:
    return (
        await session.execute(
            select(Report).where(
                Report.unit_id == unit_id, Report.period_kind == period.kind, Report.period_key == period.key
            )
        )
    ).scalar_one_or_none()


@dataclass(frozen=True)
class Change:
    key: str
    before: Any
    after: Any


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """The answers of `after` that differ from `before`, in the order they were given."""
    return [Change(k, before.get(k), v) for k, v in after.items() if before.get(k) != v]


def resubmission_changes(report: Report) -> list[Change] | None:
    """What the latest submission changed against the one before it; None when there was no
    earlier submission (or it predates migration 0011, which started keeping it)."""
    if report.previous_answers is None or report.submitted_answers is None:
        return None
    return changes_between(report.previous_answers, report.submitted_answers)


async def submit(
    session: AsyncSession, report: Report, *, actor_id: int | None, now: datetime
) -> list[Change] | None:
    """Send the report up. Returns what changed since it was last sent; None the first time."""
    require_editable(report, now)
    missing = missing_answers(report)
    if missing:
        raise UserFacingError("report_incomplete", count=len(missing))
    changes = None
    if report.submitted_answers is not None:
        changes = changes_between(report.submitted_answers, report.answers)
        report.previous_answers = dict(report.submitted_answers)
    report.status = ReportStatus.SUBMITTED
    report.submitted_answers = dict(report.answers)
    report.submitted_at = now
    report.submitted_by = actor_id
    report.late = now > report.deadline
    report.return_reason = None
    report.updated_at = now
    report.revision += 1
    audit.record(
        session, "report.submit", now=now, actor_id=actor_id, target=f"report:{report.id}",
        details={"late": report.late, "changes": [c.key for c in changes or ()]},
    )
    return changes


async def review(
    session: AsyncSession, report: Report, actor: Actor, *, accept: bool, reason: str | None, now: datetime
) -> None:
    """Accept, or return with a reason; only an admin above the unit, only a submitted report."""
    if not can_review(actor, report.unit):
        raise UserFacingError("not_allowed")
    if report.status != ReportStatus.SUBMITTED:
        raise UserFacingError("report_not_submitted")
    report.status = ReportStatus.ACCEPTED if accept else ReportStatus.RETURNED
    report.reviewed_at = now
    report.reviewed_by = actor.person.id if actor.person else None
    report.return_reason = None if accept else reason
    report.updated_at = now
    report.revision += 1
    audit.record(
        session, "report.accept" if accept else "report.return", now=now,
        actor_id=report.reviewed_by, target=f"report:{report.id}", details={"reason": reason} if reason else {},
    )


async def reviewers_of(session: AsyncSession, unit: Unit) -> list[Reachable]:
    """The admins of the nearest ancestor that has any; they hear of each submission."""
    ancestor_codes = unit.path.strip("/").split("/")[:-1]
    return await _nearest_admins(session, ancestor_codes)


async def admins_for(session: AsyncSession, unit: Unit) -> list[Reachable]:
    """The admins of `unit` itself, or of its nearest ancestor that has any."""
    return await _nearest_admins(session, unit.path.strip("/").split("/"))


async def _nearest_admins(session: AsyncSession, codes: list[str]) -> list[Reachable]:
    for code in reversed(codes):
        ancestor = (await session.execute(select(Unit).where(Unit.code == code))).scalar_one_or_none()
        if ancestor is None:
            continue
        found = await reachable(session, roles=REVIEWERS, unit_ids=[ancestor.id])
        if found:
            return found
    return []


async def officers_of(session: AsyncSession, unit: Unit) -> list[Reachable]:
    """The unit's officers and admins (who file its reports), each once: they hear of a review."""
    return await reachable(session, roles=FILERS, unit_ids=[unit.id])


def _reviewable(actor: Actor) -> list[ColumnElement[bool]]:
    """One condition per unit this person reviews for: units strictly below it (`can_review`)."""
    return [
        and_(Unit.path.startswith(a.unit.path, autoescape=True), Unit.id != a.unit_id)
        for a in actor.roles if a.role in REVIEWERS
    ]


async def waiting_for_review(session: AsyncSession, actor: Actor, limit: int = 50) -> list[Report]:
    """Submitted reports this person may review (admins strictly above the unit), oldest first."""
    scopes = _reviewable(actor)
    if not scopes:
        return []
    rows = await session.scalars(
        select(Report).join(Unit, Report.unit_id == Unit.id)
        .where(Report.status == ReportStatus.SUBMITTED, or_(*scopes))
        .order_by(Report.submitted_at, Report.id)
        .limit(limit)
    )
    return list(rows)


async def count_waiting_for_review(session: AsyncSession, actor: Actor) -> int:
    """How many submitted reports wait for this person's review (all of them, not one page)."""
    scopes = _reviewable(actor)
    if not scopes:
        return 0
    count = await session.scalar(
        select(func.count()).select_from(Report).join(Unit, Report.unit_id == Unit.id)
        .where(Report.status == ReportStatus.SUBMITTED, or_(*scopes))
    )
    return count or 0


def _period_order(report: Report) -> tuple[int, int, int]:
    """Latest period first; for one end month the longest period first (year, half, quarter, month)."""
    period = Period.parse(report.period_key)
    return (period.year, period.last_month, MONTHS_IN[period.kind])


async def history(session: AsyncSession, unit: Unit) -> list[Report]:
    """Every report of one unit, the latest period first (a unit has a few dozen at most)."""
    rows = await session.scalars(select(Report).where(Report.unit_id == unit.id))
    return sorted(rows, key=_period_order, reverse=True)
