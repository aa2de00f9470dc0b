"""What the web console reads and changes through the broadcast feature: drafts rewritten by their
author, what waits for whose approval, lists with authors, figures of many broadcasts in one
query, media, polls with their votes, the audience picker's units."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from bot.core.errors import UserFacingError
from bot.core.messages import Photo
from bot.services.people import units
from broadcasts import approval, polls, store
from broadcasts.approval import Audience
from broadcasts.audience import unit_choices
from storage.models import AuditEntry, BroadcastStatus, Delivery, DeliveryStatus, Role
from tests.broadcasts import test_approval as rules

APPROVER, AUTHOR, _actor, _approved = rules.APPROVER, rules.AUTHOR, rules._actor, rules._approved
clock, world = rules.clock, rules.world  # the fixtures: the same tree and people as the rules' tests

MEMBERS_OF_D1 = Audience(units=("D1",), roles=(Role.MEMBER,))


async def test_the_author_rewrites_a_draft_and_only_a_draft(world, session_factory, clock):
    async with session_factory() as session, session.begin():
        author, other = await _actor(session, AUTHOR), await _actor(session, APPROVER)
        draft = await approval.create(session, author, text="Bản đầu", audience=MEMBERS_OF_D1, now=clock(),
                                      photo=Photo(b"\x89PNG\r\n\x1a\nabc", "a.png"))
        kept = await approval.revise(session, author, draft.id, text="<b>Bản hai</b>", html=True, now=clock(),
                                     audience=Audience(units=("C3",), roles=(Role.MEMBER,)), keep_media=True)
        assert (kept.text, kept.html, kept.audience["units"], kept.media_kind) == ("<b>Bản hai</b>", True, ["C3"], "photo")
        assert await approval.media_of(session, draft.id) == ("photo", "a.png", b"\x89PNG\r\n\x1a\nabc")
        await approval.revise(session, author, draft.id, text="Bản ba", audience=MEMBERS_OF_D1, now=clock())
        assert await approval.media_of(session, draft.id) is None  # not kept: gone
        with pytest.raises(UserFacingError) as refused:
            await approval.revise(session, other, draft.id, text="Của tôi", audience=MEMBERS_OF_D1, now=clock())
        assert refused.value.key == "broadcast_not_allowed"
        with pytest.raises(UserFacingError) as refused:
            await approval.revise(session, author, draft.id, text="", audience=MEMBERS_OF_D1, now=clock())
        assert refused.value.key == "broadcast_empty"
        await approval.submit(session, author, draft.id, now=clock())
        with pytest.raises(UserFacingError) as refused:
            await approval.revise(session, author, draft.id, text="Muộn", audience=MEMBERS_OF_D1, now=clock())
        assert refused.value.key == "broadcast_wrong_status" and refused.value.params["action"] == "revise"
    async with session_factory() as session:
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions.count("broadcast.revise") == 2


async def test_what_waits_for_whom_and_the_lists(world, session_factory, clock):
    async with session_factory() as session, session.begin():
        author, other = await _actor(session, AUTHOR), await _actor(session, APPROVER)
        mine = await approval.create(session, author, text="Của tác giả", audience=MEMBERS_OF_D1, now=clock())
        await approval.submit(session, author, mine.id, now=clock())
        theirs = await approval.create(session, other, text="Của người kia", audience=MEMBERS_OF_D1, now=clock())
        await approval.submit(session, other, theirs.id, now=clock())
        member = await _actor(session, "10")

        waiting = await approval.awaiting_approval(session, author, allow_self_approval=False)
        assert [(w.broadcast.id, w.author) for w in waiting] == [(theirs.id, "Người 2")]
        both = await approval.awaiting_approval(session, author, allow_self_approval=True)
        assert [w.broadcast.id for w in both] == [mine.id, theirs.id]
        assert await approval.awaiting_approval(session, member, allow_self_approval=True) == []

        sending = await _approved(session, clock, MEMBERS_OF_D1, text="Đang gửi")
        await approval.expand(session, sending, now=clock())
        listed = await approval.listed(session, (BroadcastStatus.SENDING,))
        assert [(i.broadcast.id, i.author) for i in listed] == [(sending.id, "Người 1")]
        assert [i.broadcast.id for i in await approval.listed(
            session, (BroadcastStatus.PENDING_APPROVAL,), author_id=other.person_id)] == [theirs.id]
        assert (await approval.one_listed(session, theirs.id)).author == "Người 2"
        with pytest.raises(UserFacingError):
            await approval.one_listed(session, 999)
        assert await approval.statuses_of(session, [sending.id, mine.id, 999]) == {
            sending.id: "sending", mine.id: "pending_approval"}


async def test_figures_of_several_broadcasts_in_one_query(world, session_factory, clock):
    async with session_factory() as session, session.begin():
        first = await _approved(session, clock, MEMBERS_OF_D1, text="Một")
        await approval.expand(session, first, now=clock())
        second = await _approved(session, clock, Audience(units=("C3",), roles=(Role.MEMBER,)), text="Hai")
        await approval.expand(session, second, now=clock())
        await session.execute(update(Delivery).where(Delivery.broadcast_id == first.id, Delivery.chat_id == "10")
                              .values(status=DeliveryStatus.FAILED, last_error="rejected"))
        counts = await store.status_counts_of(session, [first.id, second.id, 999])
        assert counts[first.id] == await store.status_counts(session, first.id)
        assert (counts[first.id].failed, counts[first.id].pending) == ({"rejected": 1}, counts[first.id].total - 1)
        assert counts[second.id].total == 1 and counts[999].total == 0


async def test_polls_listed_with_their_votes(world, session_factory, clock):
    async with session_factory() as session, session.begin():
        author, approver = await _actor(session, AUTHOR), await _actor(session, APPROVER)
        poll = await polls.create(session, author, question="Có dự không?", options=["Có", "Không"],
                                  audience=MEMBERS_OF_D1, now=clock())
        quiet = await polls.create(session, author, question="Câu hai?", options=["A", "B"],
                                   audience=MEMBERS_OF_D1, now=clock())
        await approval.submit(session, author, poll.broadcast_id, now=clock())
        await approval.approve(session, approver, poll.broadcast_id, now=clock())
        await approval.send_now(session, approver, poll.broadcast_id, now=clock())
        await polls.vote(session, await _actor(session, "10"), poll.id, 1, now=clock())
        listed = await polls.recent(session)
        assert [(p.poll.id, p.votes, p.broadcast_status) for p in listed] == [
            (quiet.id, 0, "draft"), (poll.id, 1, "sending")]


async def test_the_audience_picker_lists_a_subtree_each_unit_under_its_parent(world, session_factory):
    async with session_factory() as session:
        province = await units.get_unit_by_code(session, "86")
        district = await units.get_unit_by_code(session, "D2")
        assert [(c.code, c.depth) for c in await unit_choices(session, [province])] == [
            ("86", 0), ("D2", 1), ("C3", 2), ("D1", 1), ("C2", 2), ("C1", 2)]  # by name: Hai before Một
        assert [c.name for c in await unit_choices(session, [district])] == ["Huyện Hai", "Xã Ba"]
