"""Shares into Zalo groups: who is offered the option, one row per (broadcast, person, unit),
counts per unit, and the unit's shares of a period suggesting its report's posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core.errors import UserFacingError
from bot.core.messages import Choice
from bot.core.periods import Period, Schedule
from bot.services.people import people, units
from bot.services.reporting import reports
from broadcasts import polls, shares
from broadcasts.approval import approve, send_now, submit
from broadcasts.audience import Audience
from handlers.shares import share_choice
from storage.models import Delivery, GroupShare, Identity, Role
from tests.broadcasts.conftest import APPROVER, AUTHOR

OFFICERS, ADMIN_C2, MEMBER = [7001, 7002], 7101, 7201
NOV_10 = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)


@pytest.fixture
async def sharing(community, clock):
    clock.now = NOV_10
    await community.people(OFFICERS[:1], "C1", Role.OFFICER)
    await community.people(OFFICERS[1:], "C2", Role.OFFICER)
    await community.people([ADMIN_C2], "C2", Role.UNIT_ADMIN)
    await community.people([MEMBER], "C1", Role.MEMBER)
    return community


async def actor(session_factory, user_id: int):
    async with session_factory() as session:
        return await people.load_actor(session, "telegram", str(user_id))


async def test_officers_and_unit_admins_copies_offer_the_share_and_others_do_not(
    sharing, make_worker, emu, session_factory
):
    broadcast_id = await sharing.broadcast(roles=(Role.OFFICER, Role.UNIT_ADMIN, Role.MEMBER))
    await (await make_worker(share_choice=share_choice)).drain()
    for user_id in [*OFFICERS, ADMIN_C2]:
        (message,) = emu.messages(user_id)
        assert [b["text"] for row in message["buttons"] for b in row] == ["Đã chia sẻ vào nhóm Zalo"]
        assert message["buttons"][0][0]["data"] == f"cmd:run:chiase {broadcast_id}"
    (message,) = emu.messages(MEMBER)
    assert message["buttons"] == []
    async with session_factory() as session:
        offered = await session.execute(
            select(Identity.external_id, Delivery.offers_share).join(Identity, Identity.id == Delivery.identity_id)
        )
        assert dict(offered.tuples().all()) == {"7001": True, "7002": True, "7101": True, "7201": False}


async def test_a_poll_offers_no_share(sharing, make_worker, emu, session_factory, clock):
    async with session_factory() as session, session.begin():
        author = await people.load_actor(session, "telegram", str(AUTHOR))
        approver = await people.load_actor(session, "telegram", str(APPROVER))
        poll = await polls.create(session, author, question="Bà con muốn họp vào buổi nào?", options=["Sáng", "Chiều"],
                                  audience=Audience(units=("86",), roles=(Role.OFFICER,)), now=clock())
        await submit(session, author, poll.broadcast_id, now=clock())
        await approve(session, approver, poll.broadcast_id, now=clock())
        await send_now(session, approver, poll.broadcast_id, now=clock())
    await (await make_worker(share_choice=lambda broadcast_id: Choice("cmd:run:chiase 1", "x"))).drain()
    (message,) = emu.messages(OFFICERS[0])
    assert [b["text"] for row in message["buttons"] for b in row] == ["Sáng", "Chiều"]


async def test_one_row_per_person_counted_per_unit_and_summed_over_the_period(sharing, session_factory, clock):
    first = await sharing.broadcast(roles=(Role.OFFICER, Role.UNIT_ADMIN))
    member_only = await sharing.broadcast(roles=(Role.MEMBER,))
    async with session_factory() as session, session.begin():
        officer_c1, officer_c2, admin_c2, member = [
            await people.load_actor(session, "telegram", str(n)) for n in [*OFFICERS, ADMIN_C2, MEMBER]
        ]
        assert (await shares.record(session, officer_c1, first, 3, now=clock())).previous is None
        changed = await shares.record(session, officer_c1, first, 4, now=clock() + timedelta(days=30))
        assert (changed.groups, changed.previous) == (4, 3)
        await shares.record(session, officer_c2, first, 2, now=clock())
        await shares.record(session, admin_c2, first, 5, now=clock())
        for who, broadcast_id, key in ((member, first, "share_not_for_you"),
                                       (officer_c1, member_only, "share_not_for_you"),
                                       (officer_c1, 999_999, "broadcast_gone")):
            with pytest.raises(UserFacingError) as refused:
                await shares.record(session, who, broadcast_id, 1, now=clock())
            assert refused.value.key == key
        with pytest.raises(UserFacingError):
            await shares.record(session, officer_c1, first, shares.MAX_GROUPS + 1, now=clock())

    async with session_factory() as session:
        assert len((await session.execute(select(GroupShare))).all()) == 3  # changed, not added
        counted = await shares.counts(session, first)
        assert counted.offered == 3 and (counted.groups, counted.people) == (11, 3)
        assert [(u.unit_name, u.groups, u.people) for u in counted.units] == [("Xã Hai", 7, 2), ("Xã Một", 4, 1)]

    async with session_factory() as session, session.begin():
        c1 = await units.get_unit_by_code(session, "C1")
        november = await reports.get_or_create(session, c1, Period.parse("2026-11"), Schedule.load(), clock())
        december = await reports.get_or_create(session, c1, Period.parse("2026-12"), Schedule.load(), clock())
        # The count was changed in December, but the share was first confirmed in November: it counts there.
        assert await reports.shared_posts(session, november) == {"posts": 4}
        assert await reports.shared_posts(session, december) == {}
        assert (await reports.prefill(session, november))["posts"] == 4
