"""`python -m bot run` killed with SIGKILL mid-broadcast and started again finishes it, skipping no one.

The Telegram emulator runs in this test process; the service runs as a real subprocess against
it, exactly as an operator starts it (polling, outbox, scheduler). After `KILL_AFTER` messages
the emulator holds further sends (`Gate`), so the kill is certain to land mid-broadcast with
requests in flight. Those are let through after the kill, as Telegram still delivers what it
received; they are the messages that may arrive twice. The second start takes the dead
process's deliveries over once their lease (`OUTBOX_LEASE_SECONDS=1`) runs out.
"""

from __future__ import annotations

import signal

import pytest
from sqlalchemy import select

from bot.core.clock import utc_now
from bot.services.people import people, units
from broadcasts.audience import Audience
from broadcasts.outbox import OutboxConfig
from handlers.broadcast_texts import SUMMARY
from storage.models import Broadcast, BroadcastStatus, Delivery, DeliveryStatus, Role
from tests.broadcasts.conftest import Gate
from tests.integration.conftest import TOKEN, free_port
from tests.integration.drivers import approve_and_send
from tests.integration.processes import Service, base_env

AUTHOR, APPROVER = 11, 12
MEMBERS = range(5000, 5300)
KILL_AFTER = 40
TEXT = "Ủy ban MTTQ tỉnh thông báo: họp dân khu phố vào 19 giờ thứ Bảy."
# What one crash can send twice (broadcasts/outbox.py): the sends in flight, at most `concurrency`
# per platform (BROADCAST_LIMITS=false leaves the lane unpaced, so all of them), plus results sent
# but not yet written, which `_wait_for_room` caps at `max_unrecorded`. 128 + 100 < 300 members.
DEFAULT = OutboxConfig()
MAX_DOUBLED = DEFAULT.concurrency + DEFAULT.max_unrecorded


def service_env(db_url: str, base_url: str) -> dict[str, str]:
    """This environment without any KetNoi setting (no Zalo, no stray token), then the test's."""
    return base_env(
        database_url=db_url, telegram_bot_token=TOKEN, telegram_api_base_url=base_url, web_port=str(free_port()),
        outbox_lease_seconds="1", broadcast_limits="false",
    )


async def seed(session_factory, emulator) -> int:
    """Two province admins and the members, in the database and the emulator; a released broadcast."""
    now = utc_now()
    async with session_factory() as session, session.begin():
        await units.import_units(session, units.rows_from_vietnam_provinces(86), now=now)
        province = await units.get_unit_by_code(session, "86")
        commune = await units.get_unit_by_code(session, "29641")
        everyone = [(AUTHOR, province, Role.PROVINCE_ADMIN), (APPROVER, province, Role.PROVINCE_ADMIN)]
        for user_id, unit, role in everyone + [(m, commune, Role.MEMBER) for m in MEMBERS]:
            emulator.add_user(user_id, f"Người {user_id}")
            person = await people.register(
                session, platform="telegram", external_id=str(user_id), chat_id=str(user_id),
                full_name=f"Người {user_id}", now=now,
            )
            await people.grant_role(session, person, unit, role, granted_by=None, now=now)
    return await approve_and_send(
        session_factory, platform="telegram", author=str(AUTHOR), approver=str(APPROVER),
        audience=Audience(units=("86",), roles=(Role.MEMBER,)), text=TEXT, now=now,
    )


@pytest.mark.timeout(300)  # two service start-ups and 300 members on a busy machine
async def test_run_killed_with_sigkill_mid_broadcast_finishes_it_after_a_restart(
    db_url, session_factory, emulator, tmp_path
):
    broadcast_id = await seed(session_factory, emulator)
    gate = Gate(emulator, after=KILL_AFTER)
    env = service_env(db_url, emulator.base_url)
    finished = SUMMARY["finished"].format(id=broadcast_id)

    def received() -> dict[int, int]:
        return {member: len(emulator.messages(member)) for member in MEMBERS}

    def reached() -> int:
        return sum(1 for n in received().values() if n)

    services: list[Service] = []
    try:
        first = await Service.start(env, tmp_path)
        services.append(first)
        assert await emulator.wait_for(lambda: reached() >= KILL_AFTER), first.log()
        assert reached() < len(MEMBERS)  # the kill lands mid-broadcast
        assert await first.stop(signal.SIGKILL) == -signal.SIGKILL
        async with session_factory() as session:
            recorded = set(await session.scalars(
                select(Delivery.chat_id).where(
                    Delivery.broadcast_id == broadcast_id, Delivery.status == DeliveryStatus.SENT
                )
            ))
        gate.open()  # what was in flight at the kill still reaches Telegram

        second = await Service.start(env, tmp_path)
        services.append(second)
        assert await emulator.wait_for(lambda: reached() == len(MEMBERS)), second.log()
        assert await emulator.wait_for(
            lambda: any(finished in (m["text"] or "") for m in emulator.messages(AUTHOR))
        ), second.log()

        counts = received()
        assert min(counts.values()) == 1  # nobody skipped
        assert max(counts.values()) <= 2
        doubled = {str(member) for member, n in counts.items() if n == 2}
        assert doubled.isdisjoint(recorded)  # only what was sent but not yet recorded at the kill
        assert len(doubled) <= MAX_DOUBLED
        async with session_factory() as session:
            assert (await session.get(Broadcast, broadcast_id)).status == BroadcastStatus.COMPLETED
        assert await second.stop(signal.SIGTERM) == 0, second.log()
    finally:
        gate.open()
        for number, service in enumerate(services, 1):
            if service.process.returncode is None:
                await service.stop(signal.SIGKILL)
            print(f"--- service {number}:\n{service.log()}")  # shown by pytest if the test failed
