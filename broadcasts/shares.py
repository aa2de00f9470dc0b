"""Shares into Zalo groups: officers forward broadcasts into their groups and say into how many.

Most Zalo bots cannot join groups yet (the platform's group support is in beta), so officers
forward content themselves. Each copy of content sent to an officer or unit admin offers
"shared into Zalo groups" (`Delivery.offers_share`, decided when the audience is expanded);
the answer is recorded once per (broadcast, person, unit), and a second answer changes it.
The counts show per unit in /trangthai and the author's summary, and a unit's shares in a
period suggest its report's "posts on social media" (`bot.services.reporting.reports.prefill`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import UserFacingError
from bot.services.people.people import Actor
from storage.claims import insert_if_absent
from storage.models import Broadcast, BroadcastStatus, Delivery, GroupShare, Identity, Poll, Role, Unit

SHARER_ROLES = (Role.OFFICER, Role.UNIT_ADMIN)  # who forwards content into the unit's Zalo groups
MAX_GROUPS = 200  # more groups than one officer could forward to by hand: a typing slip
COMMAND = "chiase"  # what the share option runs, /chiase N (and what Zalo's hint says to type)
OUT = (BroadcastStatus.SENDING, BroadcastStatus.COMPLETED, BroadcastStatus.STOPPED)  # released content


@dataclass(frozen=True)
class Recorded:
    """What a confirmation did: the count now, and the one before it (None: the first)."""

    broadcast_id: int
    groups: int
    previous: int | None


@dataclass(frozen=True)
class UnitShares:
    """One unit's shares of a broadcast: groups reached and officers who confirmed."""

    unit_name: str
    groups: int
    people: int


@dataclass(frozen=True)
class ShareCounts:
    """A broadcast's shares: how many copies offered the option, and the answers per unit."""

    offered: int = 0
    units: tuple[UnitShares, ...] = ()

    @property
    def groups(self) -> int:
        return sum(unit.groups for unit in self.units)

    @property
    def people(self) -> int:
        return sum(unit.people for unit in self.units)


def sharing_unit(actor: Actor) -> Unit | None:
    """The unit a share counts for: the first unit where the person is an officer, else a unit admin."""
    for role in SHARER_ROLES:
        units = actor.units_with(role)
        if units:
            return units[0]
    return None


async def shareable(session: AsyncSession, actor: Actor, broadcast_id: int) -> tuple[Broadcast, Unit, int | None]:
    """The broadcast, the unit the share counts for, and the count given before (if any), when
    this person may say they shared it: an officer or unit admin whose copy offered it, of
    content that is out. The one check behind showing the question and recording the answer."""
    if actor.person is None:
        raise UserFacingError("not_registered")
    unit = sharing_unit(actor)
    if unit is None:
        raise UserFacingError("share_not_for_you", id=broadcast_id)
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.status not in OUT:
        raise UserFacingError("broadcast_gone", id=broadcast_id)
    offered = select(Delivery.id).join(Identity, Identity.id == Delivery.identity_id).where(
        Delivery.broadcast_id == broadcast_id, Delivery.offers_share.is_(True), Identity.person_id == actor.person.id
    )
    if await session.scalar(offered.limit(1)) is None:
        raise UserFacingError("share_not_for_you", id=broadcast_id)
    previous = await session.scalar(
        select(GroupShare.groups).where(
            GroupShare.broadcast_id == broadcast_id, GroupShare.person_id == actor.person.id,
            GroupShare.unit_id == unit.id,
        )
    )
    return broadcast, unit, previous


async def record(session: AsyncSession, actor: Actor, broadcast_id: int, groups: int, *, now: datetime) -> Recorded:
    """Record (or change) into how many Zalo groups this person forwarded the broadcast."""
    if not 0 <= groups <= MAX_GROUPS:
        raise UserFacingError("share_count", maximum=MAX_GROUPS)
    _, unit, previous = await shareable(session, actor, broadcast_id)
    fresh = await insert_if_absent(
        session, GroupShare, broadcast_id=broadcast_id, person_id=actor.person_id, unit_id=unit.id,
        groups=groups, shared_at=now, updated_at=now,
    )
    if not fresh:
        share = (
            await session.execute(
                select(GroupShare).where(
                    GroupShare.broadcast_id == broadcast_id, GroupShare.person_id == actor.person_id,
                    GroupShare.unit_id == unit.id,
                )
            )
        ).scalar_one()
        share.groups, share.updated_at = groups, now
    return Recorded(broadcast_id, groups, previous if not fresh else None)


async def offers_share(session: AsyncSession, broadcast_id: int) -> bool:
    """Whether copies of this broadcast offer the share option: content, not a poll."""
    return await session.scalar(select(Poll.id).where(Poll.broadcast_id == broadcast_id).limit(1)) is None


async def counts(session: AsyncSession, broadcast_id: int) -> ShareCounts:
    """Copies that offered the option, and groups and officers per unit (most groups first)."""
    offered = await session.scalar(
        select(func.count(Delivery.id)).where(Delivery.broadcast_id == broadcast_id, Delivery.offers_share.is_(True))
    )
    rows = await session.execute(
        select(Unit.name, func.sum(GroupShare.groups), func.count(GroupShare.id))
        .join(Unit, Unit.id == GroupShare.unit_id)
        .where(GroupShare.broadcast_id == broadcast_id, GroupShare.groups > 0)
        .group_by(Unit.id, Unit.name)
    )
    units = sorted(
        (UnitShares(name, int(groups or 0), int(people)) for name, groups, people in rows),
        key=lambda unit: (-unit.groups, unit.unit_name),
    )
    return ShareCounts(int(offered or 0), tuple(units))
