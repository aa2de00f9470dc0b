"""Broadcast rules on a real database: who may do what, and exactly who is in the audience."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.core.errors import UserFacingError
from bot.services.people import people, units
from broadcasts import approval as broadcasts
from broadcasts.approval import Audience
from storage.models import (
    AuditEntry,
    Broadcast,
    BroadcastStatus,
    Delivery,
    DeliveryStatus,
    Identity,
    LinkedChat,
    Role,
)
from tests.support import TWO_DISTRICTS, FakeClock

TREE = TWO_DISTRICTS
AUTHOR, APPROVER = "1", "2"


@pytest.fixture
def clock(now) -> FakeClock:
    return FakeClock(now)


@pytest.fixture
async def world(session_factory, clock):
    """The tree, two province admins, and people placed so that exactness can be checked."""
    async with session_factory() as session, session.begin():
        await units.import_units(session, TREE, now=clock())
        for user, roles in {
            AUTHOR: [("86", Role.PROVINCE_ADMIN)],
            APPROVER: [("86", Role.PROVINCE_ADMIN)],
            "10": [("C1", Role.MEMBER)],  # in D1, a member
            "11": [("C2", Role.OFFICER)],  # in D1, an officer
            "12": [("C1", Role.OFFICER), ("C2", Role.MEMBER)],  # two matching roles: one message
            "13": [("D1", Role.UNIT_ADMIN)],  # in D1 but not a chosen role
            "14": [("C3", Role.MEMBER)],  # a member outside D1
            "15": [("C1", Role.MEMBER)],  # blocked the bot: skipped
            "16": [("86", Role.CITIZEN)],  # citizens sit at the root
            "17": [("C2", Role.MEMBER)],  # also on Zalo, which they prefer
        }.items():
            await _person(session, clock, user, roles)
        for user, preferred in (("10", None), ("17", "zalo")):  # a second account each
            person = (await people.find_identity(session, "telegram", user)).person
            person.preferred_platform = preferred
            zalo = f"z{user}"
            session.add(
                Identity(
                    person_id=person.id, platform="zalo", external_id=zalo, chat_id=zalo, created_at=clock()
                )
            )
        await people.mark_unreachable(session, "telegram", "15", clock())
        for chat_id, unit_code, active in (
            ("-1", "C1", True),
            ("-2", "C2", False),
            ("-3", "C3", True),
            ("-4", None, True),
        ):
            chat = await broadcasts.record_chat_added(
                session, platform="telegram", chat_id=chat_id, kind="group", title=None, now=clock()
            )
            if unit_code:
                chat.unit_id = (await units.get_unit_by_code(session, unit_code)).id
            chat.active = active


async def _person(session, clock, user: str, roles) -> None:
    person = await people.register(
        session,
        platform="telegram",
        external_id=user,
        chat_id=user,
        full_name=f"Người {user}",
        now=clock(),
    )
    for unit_code, role in roles:
        unit = await units.get_unit_by_code(session, unit_code)
        await people.grant_role(session, person, unit, role, granted_by=None, now=clock())


async def _actor(session, user: str) -> people.Actor:
    return await people.load_actor(session, "telegram", user)


async def _approved(session, clock, audience: Audience, text: str = "Thông báo") -> Broadcast:
    author, approver = await _actor(session, AUTHOR), await _actor(session, APPROVER)
    item = await broadcasts.create(session, author, text=text, audience=audience, now=clock())
    await broadcasts.submit(session, author, item.id, now=clock())
    return await broadcasts.approve(session, approver, item.id, now=clock())


async def _chats(session, broadcast_id: int) -> set[tuple[str, str]]:
    rows = await session.execute(
        select(Delivery.platform, Delivery.chat_id).where(Delivery.broadcast_id == broadcast_id)
    )
    return set(rows.tuples())


# --------------------------------------------------------------------------- the audience


D1_OFFICERS_MEMBERS = Audience(units=("D1",), roles=(Role.OFFICER, Role.MEMBER), include_linked_chats=True)
# Person 10 has two accounts and no preference: the older one (Telegram); 17 prefers Zalo.
EXPECTED = {("telegram", "10"), ("telegram", "11"), ("telegram", "12"), ("zalo", "z17"), ("telegram", "-1")}


@pytest.mark.parametrize("batch_size", [1000, 2])
async def test_a_subtree_reaches_exactly_the_chosen_people_and_chats_once(
    world, session_factory, clock, batch_size
):
    async with session_factory() as session, session.begin():
        item = await _approved(session, clock, D1_OFFICERS_MEMBERS)
        assert await broadcasts.preview_audience(session, D1_OFFICERS_MEMBERS) == len(EXPECTED)
        count = await broadcasts.expand(session, item, now=clock(), batch_size=batch_size)
        assert count == len(EXPECTED) == item.recipients
        assert await _chats(session, item.id) == EXPECTED
        assert item.status == BroadcastStatus.SENDING and item.started_at == clock()
        counts = await broadcasts.status_counts(session, item.id)
        assert (counts.total, counts.pending, counts.sent) == (5, 5, 0)


async def test_the_whole_province_with_every_role_and_citizens(world, session_factory, clock):
    everyone = Audience(units=("86",), roles=tuple(Role), include_linked_chats=True)
    async with session_factory() as session, session.begin():
        item = await _approved(session, clock, everyone)
        await broadcasts.expand(session, item, now=clock())
        chats = await _chats(session, item.id)
    people_chats = {("telegram", u) for u in (AUTHOR, APPROVER, "10", "11", "12", "13", "14", "16")}
    assert chats == people_chats | {("zalo", "z17"), ("telegram", "-1"), ("telegram", "-3")}


async def test_one_commune_citizens_only_reaches_nobody(world, session_factory, clock):
    """Citizens are registered at the root; a commune's audience has none of them."""
    async with session_factory() as session:
        assert await broadcasts.preview_audience(session, Audience(units=("C1",), roles=(Role.CITIZEN,))) == 0


# --------------------------------------------------------------------------- who may do what


@pytest.mark.parametrize("user", ["10", "11", "13"])
async def test_only_province_admins_create(world, session_factory, clock, user):
    async with session_factory() as session:
        actor = await _actor(session, user)
        with pytest.raises(UserFacingError) as refusal:
            await broadcasts.create(session, actor, text="Tin", audience=D1_OFFICERS_MEMBERS, now=clock())
        assert refusal.value.key == "broadcast_not_allowed"


async def test_bad_audiences_and_texts_are_refused(world, session_factory, clock):
    async with session_factory() as session:
        author = await _actor(session, AUTHOR)
        for audience, text, key in (
            (Audience(units=("99",), roles=(Role.MEMBER,)), "Tin", "broadcast_unknown_unit"),
            (Audience(units=("86",), roles=("mayor",)), "Tin", "broadcast_unknown_role"),
            (Audience(units=("86",)), "Tin", "broadcast_no_audience"),
            (Audience(units=("86",), roles=(Role.MEMBER,)), "   ", "broadcast_empty"),
            (Audience(units=("86",), roles=(Role.MEMBER,)), "x" * 20_001, "broadcast_too_long"),
        ):
            with pytest.raises(UserFacingError) as refusal:
                await broadcasts.create(session, author, text=text, audience=audience, now=clock())
            assert refusal.value.key == key


async def test_the_author_cannot_approve_unless_the_province_allows_it(world, session_factory, clock):
    async with session_factory() as session, session.begin():
        author = await _actor(session, AUTHOR)
        item = await broadcasts.create(session, author, text="Tin", audience=D1_OFFICERS_MEMBERS, now=clock())
        await broadcasts.submit(session, author, item.id, now=clock())
        with pytest.raises(UserFacingError) as refusal:
            await broadcasts.approve(session, author, item.id, now=clock())
        assert refusal.value.key == "broadcast_self_approval"
        member = await _actor(session, "10")
        with pytest.raises(UserFacingError):
            await broadcasts.approve(session, member, item.id, now=clock())
        approved = await broadcasts.approve(session, author, item.id, now=clock(), allow_self_approval=True)
        assert approved.status == BroadcastStatus.APPROVED and approved.approved_by == author.person.id


async def test_nothing_unapproved_expands(world, session_factory, clock):
    async with session_factory() as session, session.begin():
        author, approver = await _actor(session, AUTHOR), await _actor(session, APPROVER)
        draft = await broadcasts.create(
            session, author, text="Nháp", audience=D1_OFFICERS_MEMBERS, now=clock()
        )
        pending = await broadcasts.create(
            session, author, text="Chờ", audience=D1_OFFICERS_MEMBERS, now=clock()
        )
        await broadcasts.submit(session, author, pending.id, now=clock())
        rejected = await broadcasts.create(
            session, author, text="Bỏ", audience=D1_OFFICERS_MEMBERS, now=clock()
        )
        await broadcasts.submit(session, author, rejected.id, now=clock())
        with pytest.raises(UserFacingError) as refusal:
            await broadcasts.reject(session, approver, rejected.id, "  ", now=clock())
        assert refusal.value.key == "broadcast_reason_required"
        await broadcasts.reject(session, approver, rejected.id, "Sai số liệu", now=clock())
        for item in (draft, pending, rejected):
            with pytest.raises(UserFacingError) as refusal:
                await broadcasts.send_now(session, approver, item.id, now=clock())
            assert refusal.value.key == "broadcast_wrong_status"
            with pytest.raises(UserFacingError):
                await broadcasts.expand(session, item, now=clock())
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 0
        assert rejected.reject_reason == "Sai số liệu" and rejected.status == BroadcastStatus.REJECTED


# --------------------------------------------------------------------------- scheduling, cancelling, stopping


async def test_a_scheduled_release_happens_once_and_a_stale_job_does_nothing(world, session_factory, clock):
    async with session_factory() as session, session.begin():
        approver = await _actor(session, APPROVER)
        item = await _approved(session, clock, D1_OFFICERS_MEMBERS)
        with pytest.raises(UserFacingError):
            await broadcasts.schedule(session, approver, item.id, clock() - timedelta(minutes=1), now=clock())
        await broadcasts.schedule(session, approver, item.id, clock() + timedelta(hours=2), now=clock())
        stale_version = item.version
        await broadcasts.schedule(session, approver, item.id, clock() + timedelta(hours=1), now=clock())
        assert await broadcasts.due_for_release(session, now=clock()) == []
    clock.advance(hours=1)
    async with session_factory() as session, session.begin():
        [(broadcast_id, version)] = await broadcasts.due_for_release(session, now=clock())
        assert await broadcasts.release_scheduled(session, broadcast_id, stale_version, now=clock()) is None
        released = await broadcasts.release_scheduled(session, broadcast_id, version, now=clock())
        assert released.status == BroadcastStatus.SENDING and released.recipients == len(EXPECTED)
        assert await broadcasts.release_scheduled(session, broadcast_id, version, now=clock()) is None
        assert len(await _chats(session, broadcast_id)) == len(EXPECTED)


async def test_cancel_before_start_and_stop_while_sending(world, session_factory, clock):
    async with session_factory() as session, session.begin():
        approver = await _actor(session, APPROVER)
        withdrawn = await _approved(session, clock, D1_OFFICERS_MEMBERS)
        await broadcasts.schedule(session, approver, withdrawn.id, clock() + timedelta(days=1), now=clock())
        await broadcasts.cancel(session, approver, withdrawn.id, now=clock())
        assert withdrawn.status == BroadcastStatus.CANCELLED
        running = await _approved(session, clock, D1_OFFICERS_MEMBERS)
        await broadcasts.send_now(session, approver, running.id, now=clock())
        with pytest.raises(UserFacingError):
            await broadcasts.cancel(session, approver, running.id, now=clock())
        first = await session.scalar(select(Delivery).where(Delivery.broadcast_id == running.id).limit(1))
        first.status = DeliveryStatus.SENT  # as if the outbox had sent one already
        await session.flush()
        counts = await broadcasts.stop(session, approver, running.id, now=clock())
        assert (counts.sent, counts.cancelled, counts.pending) == (1, 4, 0)
        assert running.status == BroadcastStatus.STOPPED and running.finished_at == clock()
        with pytest.raises(UserFacingError):
            await broadcasts.stop(session, approver, running.id, now=clock())
        actions = set(await session.scalars(select(AuditEntry.action)))
    assert {
        "broadcast.create",
        "broadcast.submit",
        "broadcast.approve",
        "broadcast.schedule",
        "broadcast.cancel",
        "broadcast.release",
        "broadcast.stop",
    } <= actions


async def test_status_counts_group_failures_by_reason(world, session_factory, clock):
    async with session_factory() as session, session.begin():
        item = await _approved(session, clock, D1_OFFICERS_MEMBERS)
        await broadcasts.expand(session, item, now=clock())
        rows = list(
            await session.scalars(
                select(Delivery).where(Delivery.broadcast_id == item.id).order_by(Delivery.id)
            )
        )
        for row, (status, reason) in zip(
            rows,
            [
                ("sent", None),
                ("failed", "rejected"),
                ("failed", "transient"),
                ("unreachable", "gone"),
                ("pending", "transient"),
            ],
            strict=True,
        ):
            row.status, row.last_error = status, reason
        await session.flush()
        counts = await broadcasts.status_counts(session, item.id)
    assert counts == broadcasts.StatusCounts(
        total=5, sent=1, pending=1, failed={"rejected": 1, "transient": 1}, unreachable=1, cancelled=0
    )
    assert counts.failed_total == 2


# --------------------------------------------------------------------------- linked chats


async def test_linked_chats_are_added_linked_removed_and_migrated(world, session_factory, clock):
    async with session_factory() as session, session.begin():
        unit_admin = await _actor(session, "13")  # admin of D1
        c1 = await units.get_unit_by_code(session, "C1")
        c3 = await units.get_unit_by_code(session, "C3")
        await broadcasts.record_chat_added(
            session, platform="telegram", chat_id="-9", kind="group", title="Chi hội", now=clock()
        )
        with pytest.raises(UserFacingError) as refusal:
            await broadcasts.link_chat(
                session, unit_admin, platform="telegram", chat_id="-9", unit=c3, now=clock()
            )
        assert refusal.value.key == "chat_not_allowed"
        with pytest.raises(UserFacingError) as refusal:
            await broadcasts.link_chat(
                session, unit_admin, platform="telegram", chat_id="-99", unit=c1, now=clock()
            )
        assert refusal.value.key == "chat_unknown"
        chat = await broadcasts.link_chat(
            session, unit_admin, platform="telegram", chat_id="-9", unit=c1, now=clock()
        )
        assert chat.unit_id == c1.id
        # The bot saw the new supergroup before the migration notice: the linked row wins.
        await broadcasts.record_chat_added(
            session, platform="telegram", chat_id="-1009", kind="supergroup", title="Chi hội", now=clock()
        )
        migrated = await broadcasts.migrate_chat(
            session, platform="telegram", old_chat_id="-9", new_chat_id="-1009", now=clock()
        )
        assert (migrated.id, migrated.chat_id, migrated.unit_id, migrated.kind) == (
            chat.id,
            "-1009",
            c1.id,
            "supergroup",
        )
        assert await session.scalar(select(func.count()).where(LinkedChat.chat_id.in_(["-9", "-1009"]))) == 1
        assert await broadcasts.record_chat_removed(
            session, platform="telegram", chat_id="-1009", now=clock()
        )
        assert not migrated.active and migrated.removed_at == clock()
        again = await broadcasts.record_chat_added(
            session, platform="telegram", chat_id="-1009", kind="supergroup", title=None, now=clock()
        )
        assert again.id == chat.id and again.active and again.unit_id == c1.id and again.title == "Chi hội"
