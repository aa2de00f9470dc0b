"""Broadcasts end to end, on Telegram and on Zalo: the outbox sends through each platform's
`Sender` (paced by its own limits) and members get the message on their platform; on Zalo a
2,500-character broadcast arrives as two messages, in order, cut between paragraphs."""

from __future__ import annotations

import asyncio

from bot.channels.telegram.outbox_bot import build_outbox_sender
from broadcasts import approval as broadcasts
from broadcasts.limits import Limits, SendBudget
from broadcasts.outbox import OutboxConfig, OutboxWorker
from storage.models import Role
from tests.integration.conftest import ADMIN_ID, TOKEN, register
from tests.integration.drivers import approve_and_send

APPROVER = 1002
MEMBERS = (5001, 5002)
FIRST = ("Kính gửi hội viên, đoàn viên. " * 50).strip()  # 1,499 characters
SECOND = ("Lịch tiếp công dân tháng 12 tại trụ sở Ủy ban. " * 22).strip()  # 1,033 characters


TEXT = f"{FIRST}\n\n{SECOND}"


async def members_and_a_released_broadcast(platform, harness, session_factory, clock) -> list:
    await register(session_factory, clock, platform=platform, n=APPROVER, name="Lê Thị Hoa", unit_code="86",
                   role=Role.PROVINCE_ADMIN)
    for n in MEMBERS:
        await register(session_factory, clock, platform=platform, n=n, name=f"Hội viên {n}", unit_code="29641",
                       role=Role.MEMBER)
    members = [harness.person(n, f"Hội viên {n}") for n in MEMBERS]
    assert len(TEXT) > 2500
    await approve_and_send(
        session_factory, platform=platform, author=harness.id_of(ADMIN_ID), approver=harness.id_of(APPROVER),
        audience=broadcasts.Audience(units=("86",), roles=(Role.MEMBER,)), text=TEXT, now=clock(),
    )
    return members


async def test_the_services_outbox_sends_to_each_platform(platform, harness, start_app, seeded, session_factory, clock):
    app = await start_app(broadcast_limits=False)  # what `python -m bot run` builds, unpaced
    members = await members_and_a_released_broadcast(platform, harness, session_factory, clock)
    app._wake_outbox()
    expected = [FIRST, SECOND] if platform == "zalo" else [TEXT]
    emulator = harness.zalo if platform == "zalo" else harness.telegram
    assert await emulator.wait_for(lambda: all(len(m.transcript()) >= len(expected) for m in members))
    for member in members:
        assert [m["text"] for m in member.new_messages()] == expected


async def test_a_long_broadcast_reaches_every_member_on_their_platform_within_its_limits(
    platform, harness, emulator, start_app, seeded, session_factory, clock
):
    app = await start_app()
    await app.outbox.stop()  # this test runs its own worker, on a fake clock
    members = await members_and_a_released_broadcast(platform, harness, session_factory, clock)

    seconds = [0.0]

    async def sleep(delay: float) -> None:  # the pacers' and the outbox's waits pass in no real time
        if delay > 0:
            seconds[0] += delay
            clock.advance(seconds=delay)
        await asyncio.sleep(0)

    pacers = {
        "telegram": SendBudget(Limits(), clock=lambda: seconds[0], sleep=sleep),
        "zalo": SendBudget(Limits.zalo(app.settings.zalo_messages_per_second), clock=lambda: seconds[0], sleep=sleep),
    }
    telegram = build_outbox_sender(TOKEN, base_url=emulator.base_url, pacer=pacers["telegram"])
    await telegram.bot.initialize()
    try:
        worker = OutboxWorker(
            session_factory, {"telegram": telegram, "zalo": app.zalo.outbox_sender(pacers["zalo"])},
            pacers=pacers, config=OutboxConfig(flush_interval=0.01), clock=clock, sleep=sleep,
        )
        [summary] = await worker.drain()
    finally:
        await telegram.bot.shutdown()

    assert summary.counts.sent == len(MEMBERS)
    expected = [FIRST, SECOND] if platform == "zalo" else [TEXT]
    for member in members:
        assert [m["text"] for m in member.new_messages()] == expected


async def test_a_person_on_both_platforms_gets_it_once_where_they_chose(
    harness, emulator, zalo_emulator, start_app, seeded, session_factory, clock
):
    from sqlalchemy import func, select

    from storage.models import Delivery, Identity, Person

    app = await start_app(broadcast_limits=False)
    await register(session_factory, clock, platform="telegram", n=APPROVER, name="Lê Thị Hoa", unit_code="86",
                   role=Role.PROVINCE_ADMIN)
    await register(session_factory, clock, platform="telegram", n=5001, name="Hội viên 5001", unit_code="29641",
                   role=Role.MEMBER)
    async with session_factory() as session, session.begin():  # linked to Zalo with /lienket, chose Zalo
        person = (await session.execute(select(Person).where(Person.full_name == "Hội viên 5001"))).scalar_one()
        person.preferred_platform = "zalo"
        session.add(Identity(person_id=person.id, platform="zalo", external_id=harness.id_of(5001, "zalo"),
                             chat_id=harness.id_of(5001, "zalo"), created_at=clock()))
    on_telegram = harness.person(5001, "Hội viên 5001")
    on_zalo = harness.person(5001, "Hội viên 5001", platform="zalo")
    await approve_and_send(
        session_factory, platform="telegram", author=str(ADMIN_ID), approver=str(APPROVER),
        audience=broadcasts.Audience(units=("86",), roles=(Role.MEMBER,)), text="Thông báo họp", now=clock(),
    )
    app._wake_outbox()
    assert await zalo_emulator.wait_for(lambda: on_zalo.transcript())
    assert [m["text"] for m in on_zalo.new_messages()] == ["Thông báo họp"]
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 1
    assert on_telegram.new_messages() == []
