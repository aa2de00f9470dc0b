"""Quick polls (as U-Report does): a question with 2–6 options sent through the broadcast outbox.

A poll rides on a broadcast, so it is approved and delivered exactly like content; its buttons
(or numbers, on Zalo) come back as votes: one per person, changeable until the poll closes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.buttons import button_data
from bot.core.errors import UserFacingError
from bot.core.messages import Choice
from bot.services import audit
from bot.services.people.people import Actor
from broadcasts import approval as broadcast_service
from broadcasts.audience import Audience
from storage.claims import insert_if_absent
from storage.models import Broadcast, BroadcastStatus, Delivery, Identity, Poll, PollVote, Unit

MIN_OPTIONS, MAX_OPTIONS = 2, 6
OPTION_MAX_LENGTH = 60
QUESTION_MAX_LENGTH = 300
VOTE = "pv:vote"  # the action of a vote button: `pv:vote:<poll id>-<option index>`
LIVE = (BroadcastStatus.SENDING, BroadcastStatus.COMPLETED, BroadcastStatus.STOPPED)


def vote_choices(poll_id: int, options: list[str]) -> tuple[Choice, ...]:
    """The buttons under a poll message (a numbered list on Zalo)."""
    return tuple(Choice(button_data(VOTE, poll_id, index), option) for index, option in enumerate(options))


def clean_options(lines: list[str]) -> list[str]:
    """2–6 distinct, non-empty options of at most 60 characters."""
    options = [line.strip(" -•\t") for line in lines if line.strip(" -•\t")]
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS or len(set(options)) != len(options):
        raise UserFacingError("poll_options", minimum=MIN_OPTIONS, maximum=MAX_OPTIONS)
    if any(len(option) > OPTION_MAX_LENGTH for option in options):
        raise UserFacingError("poll_option_long", maximum=OPTION_MAX_LENGTH)
    return options


async def create(
    session: AsyncSession, actor: Actor, *, question: str, options: list[str], audience: Audience, now: datetime
) -> Poll:
    """A poll and its broadcast (a draft, to be submitted for approval like any content)."""
    question = question.strip()
    if not question or len(question) > QUESTION_MAX_LENGTH:
        raise UserFacingError("poll_question", maximum=QUESTION_MAX_LENGTH)
    options = clean_options(options)
    broadcast = await broadcast_service.create(session, actor, text=question, audience=audience, now=now)
    poll = Poll(question=question, options=options, author_id=actor.person_id, broadcast_id=broadcast.id,
                status="open", created_at=now)
    session.add(poll)
    await session.flush()
    audit.record(session, "poll.create", now=now, actor_id=actor.person_id, target=f"poll:{poll.id}",
                 details={"broadcast": broadcast.id, "options": len(options)})
    return poll


async def get(session: AsyncSession, poll_id: int) -> Poll:
    poll = await session.get(Poll, poll_id)
    if poll is None:
        raise UserFacingError("poll_gone")
    return poll


async def answerable(session: AsyncSession, actor: Actor, poll_id: int, *, now: datetime) -> Poll:
    """The poll, if this person may answer it now: it exists, is out and still open, and was sent
    to them. The one check behind a vote and behind showing a poll again (`/khaosat N`), so both
    refuse alike."""
    if actor.person is None:
        raise UserFacingError("not_registered")
    poll = await get(session, poll_id)
    broadcast = await session.get(Broadcast, poll.broadcast_id) if poll.broadcast_id else None
    if broadcast is None or not _still_open(poll, broadcast, now):
        raise UserFacingError("poll_closed")
    if not await _in_audience(session, broadcast.id, actor.person.id):
        raise UserFacingError("poll_not_for_you")
    return poll


async def vote(session: AsyncSession, actor: Actor, poll_id: int, option: int, *, now: datetime) -> Poll:
    """Record or change this person's vote; only while the poll is out and open (`answerable`)."""
    poll = await answerable(session, actor, poll_id, now=now)
    if not 0 <= option < len(poll.options):
        raise UserFacingError("unknown_option")
    unit_id = next((a.unit_id for a in actor.roles), None)
    fresh = await insert_if_absent(
        session, PollVote, poll_id=poll.id, person_id=actor.person_id, unit_id=unit_id, option=option, voted_at=now
    )
    if not fresh:
        existing = (
            await session.execute(
                select(PollVote).where(PollVote.poll_id == poll.id, PollVote.person_id == actor.person_id)
            )
        ).scalar_one()
        existing.option, existing.voted_at = option, now
    return poll


async def choice_of(session: AsyncSession, poll_id: int, person_id: int) -> int | None:
    """The option this person chose in the poll, if they voted."""
    return await session.scalar(
        select(PollVote.option).where(PollVote.poll_id == poll_id, PollVote.person_id == person_id)
    )


async def open_for(session: AsyncSession, person_id: int, *, now: datetime, limit: int = 10) -> list[Poll]:
    """The polls this person may answer now (those `answerable` lets through), newest first."""
    sent_to_them = select(Delivery.broadcast_id).join(Identity, Identity.id == Delivery.identity_id).where(
        Identity.person_id == person_id
    )
    rows = await session.execute(
        select(Poll, Broadcast).join(Broadcast, Broadcast.id == Poll.broadcast_id)
        .where(Poll.status == "open", Poll.broadcast_id.in_(sent_to_them)).order_by(Poll.id.desc())
    )
    return [poll for poll, broadcast in rows if _still_open(poll, broadcast, now)][:limit]


def _still_open(poll: Poll, broadcast: Broadcast, now: datetime) -> bool:
    """Out (its broadcast released) and neither closed nor past its end."""
    return (poll.status == "open" and broadcast.status in LIVE
            and (poll.closes_at is None or now < poll.closes_at))


async def _in_audience(session: AsyncSession, broadcast_id: int, person_id: int) -> bool:
    """Whether the poll's broadcast has a delivery row for any account of this person.

    Button data is guessable, so a vote counts only from someone the poll was released to. The
    delivery rows are that audience, frozen at release; their status is not consulted, because
    it lags what the person saw (a message in flight is still `pending`, and a send that timed
    out may have arrived although it is recorded `failed`).
    """
    delivered = select(Delivery.id).join(Identity, Identity.id == Delivery.identity_id).where(
        Delivery.broadcast_id == broadcast_id, Identity.person_id == person_id
    )
    return await session.scalar(delivered.limit(1)) is not None


async def close(session: AsyncSession, actor: Actor, poll_id: int, *, now: datetime) -> Poll:
    broadcast_service.require_province_admin(actor)
    poll = await get(session, poll_id)
    poll.status, poll.closes_at = "closed", now
    audit.record(session, "poll.close", now=now, actor_id=actor.person_id, target=f"poll:{poll.id}")
    return poll


@dataclass
class Results:
    poll: Poll
    counts: list[int]
    by_unit: dict[str, Counter] = field(default_factory=dict)  # unit name -> option index -> votes

    @property
    def total(self) -> int:
        return sum(self.counts)


async def results(session: AsyncSession, poll_id: int) -> Results:
    """Votes per option, and per unit of the voters."""
    poll = await get(session, poll_id)
    rows = (
        await session.execute(
            select(PollVote.option, Unit.name).outerjoin(Unit, Unit.id == PollVote.unit_id)
            .where(PollVote.poll_id == poll.id)
        )
    ).all()
    counts = [0] * len(poll.options)
    by_unit: dict[str, Counter] = {}
    for option, unit_name in rows:
        counts[option] += 1
        by_unit.setdefault(unit_name or "—", Counter())[option] += 1
    return Results(poll, counts, by_unit)


@dataclass(frozen=True)
class Listed:
    """A poll in a list: its votes so far and its broadcast's status."""

    poll: Poll
    votes: int
    broadcast_status: str | None


async def recent(session: AsyncSession, *, limit: int = 50, offset: int = 0) -> list[Listed]:
    """Polls, newest first, each with its vote count (one grouped query over the page's polls)."""
    rows = (
        await session.execute(
            select(Poll, Broadcast.status)
            .outerjoin(Broadcast, Broadcast.id == Poll.broadcast_id)
            .order_by(Poll.id.desc())
            .limit(limit)
            .offset(offset)
        )
    ).tuples().all()
    ids = [poll.id for poll, _ in rows]
    votes: dict[int, int] = {}
    if ids:
        counted = await session.execute(
            select(PollVote.poll_id, func.count()).where(PollVote.poll_id.in_(ids)).group_by(PollVote.poll_id)
        )
        votes = {poll_id: count for poll_id, count in counted.tuples()}
    return [Listed(poll, votes.get(poll.id, 0), status) for poll, status in rows]


async def polls_for_broadcasts(session: AsyncSession, broadcast_ids: set[int]) -> dict[int, Poll]:
    rows = await session.execute(select(Poll).where(Poll.broadcast_id.in_(broadcast_ids)))
    return {poll.broadcast_id: poll for poll in rows.scalars() if poll.broadcast_id is not None}


