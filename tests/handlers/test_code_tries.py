"""Guessing codes is throttled: a few wrong invite or link codes per account and hour, then a
clear "try later" (even for a right code), one audit entry per lock-out, and a restart forgives
nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.services.people import invites, units
from handlers.flow import HandlerConfig
from handlers.registry import build_dispatcher
from storage.models import AuditEntry, Invite
from tests.support import ChatUser

WRONG = "ABCD-EFGH-JK"  # looks like a code, is none
LOCKED_AFTER_3 = (
    "Mã không đúng. Bạn đã nhập sai mã quá nhiều lần, bạn vui lòng thử lại sau 10:00 ngày 26/11/2026."
)
STILL_LOCKED = "Bạn đã nhập sai mã quá nhiều lần. Bạn vui lòng thử lại sau 10:00 ngày 26/11/2026."


@pytest.fixture
def config() -> HandlerConfig:
    return replace(HandlerConfig(), code_tries_per_hour=3)


@pytest.fixture
def dispatcher(session_factory, clock, config):
    return build_dispatcher(session_factory, config, clock)


async def new_invite(session_factory, clock) -> str:
    async with session_factory() as session, session.begin():
        unit = await units.get_unit_by_code(session, "29641")
        [code] = await invites.create_invites(
            session, actor=None, unit=unit, role="officer", now=clock(), ttl=timedelta(days=14)
        )
    return code


async def lockouts(session_factory) -> list[AuditEntry]:
    async with session_factory() as session:
        return list(await session.scalars(select(AuditEntry).where(AuditEntry.action == "code.lockout")))


async def test_wrong_codes_in_every_form_lock_the_account_for_an_hour(
    province, session_factory, clock, dispatcher, config
):
    stranger = ChatUser(dispatcher, "5a000000000000000042", platform="zalo")
    assert "Mã mời không đúng" in (await stranger.send(f"/start {WRONG}"))[0].text
    clock.advance(minutes=5)
    assert "Mã mời không đúng" in (await stranger.send(WRONG.lower()))[0].text  # a bare code, as on Zalo
    assert [r.text for r in await stranger.send(f"/lienket {WRONG}")] == [LOCKED_AFTER_3]
    assert len(await lockouts(session_factory)) == 1

    code = await new_invite(session_factory, clock)
    restarted = ChatUser(build_dispatcher(session_factory, config, clock), stranger.user_id, platform="zalo")
    for attempt in (f"/start {code}", code, f"/lienket {code}"):  # the right code is not even looked at
        assert [r.text for r in await restarted.send(attempt)] == [STILL_LOCKED]
    async with session_factory() as session:
        assert (await session.scalar(select(Invite).where(Invite.code_hash == invites.hash_code(code)))).used_at is None
    assert len(await lockouts(session_factory)) == 1  # audited once, when it began

    other = ChatUser(dispatcher, "5a000000000000000043", platform="zalo")  # only that account waits
    assert "Nghị định 13/2023" in (await other.send(f"/start {await new_invite(session_factory, clock)}"))[0].text

    clock.advance(minutes=55)  # an hour after the first wrong code
    assert "Nghị định 13/2023" in (await stranger.send(code))[0].text
    await stranger.choose("Đồng ý")
    assert "Bạn là cán bộ của Xã Cái Nhum" in (await stranger.send("Lê Văn Tám"))[0].text


async def test_a_registered_persons_wrong_link_codes_are_throttled_audited_and_not_erased(
    admin, session_factory, clock
):
    for _ in range(2):
        assert "Mã liên kết không đúng" in (await admin.send(f"/lienket {WRONG}"))[0].text
    assert [r.text for r in await admin.send(f"/lienket {WRONG}")] == [LOCKED_AFTER_3]
    [entry] = await lockouts(session_factory)
    assert entry.actor_id is not None and entry.target == "account:telegram:100"
    assert entry.details["wrong_tries"] == 3
    await admin.send("/xoadulieu")
    assert "Đã xóa toàn bộ" in (await admin.choose("Xóa dữ liệu của tôi"))[0].text
    assert [r.text for r in await admin.send(f"/start {WRONG}")] == [STILL_LOCKED]  # erasing does not reset it
    clock.advance(hours=1)
    assert "Mã liên kết không đúng" in (await admin.send(f"/lienket {WRONG}"))[0].text  # counting starts over


async def test_a_locked_refusal_keeps_the_person_on_their_step(admin, session_factory, clock):
    await admin.send("/moi")  # a guided step is waiting
    for _ in range(3):
        await admin.send(f"/lienket {WRONG}")
    replies = await admin.send(f"/lienket {WRONG}")
    assert STILL_LOCKED in replies[0].text and "vai trò nào" in replies[0].text
