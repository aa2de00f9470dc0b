"""A worker killed with SIGKILL mid-broadcast, then started again: nobody is skipped.

The worker runs in a child process (tests/broadcasts/outbox_child.py) against the emulator
served by this test. After 450 messages the emulator holds further sends, so the kill is
certain to land mid-broadcast with requests in flight; the second process finishes the job.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.models import Broadcast, BroadcastStatus, Delivery, DeliveryStatus, Role
from tests.broadcasts.conftest import Gate
from tests.broadcasts.outbox_child import CONFIG

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = range(1000, 1600)


async def _start_worker(db_url: str, base_url: str, clock_offset: float) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.broadcasts.outbox_child",
        db_url,
        base_url,
        str(clock_offset),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.timeout(300)  # two worker processes on a busy machine
async def test_a_worker_killed_with_sigkill_resumes_with_no_recipient_skipped(
    community, emu, session_factory, db_url
):
    await community.people(MEMBERS, "C1", Role.MEMBER)
    broadcast_id = await community.broadcast()
    gate = Gate(emu, after=450)

    def delivered() -> int:
        return sum(len(emu.messages(member)) for member in MEMBERS)

    first = await _start_worker(db_url, emu.base_url, 0)
    try:
        assert await emu.wait_for(lambda: delivered() >= 450)
    finally:
        first.kill()  # SIGKILL: no cleanup, no last flush, leases left behind
        await first.communicate()
    assert first.returncode == -9
    async with session_factory() as session:
        recorded = set(
            await session.scalars(
                select(Delivery.chat_id).where(
                    Delivery.broadcast_id == broadcast_id, Delivery.status == DeliveryStatus.SENT
                )
            )
        )
    gate.open()  # what was in flight at the kill still reaches Telegram

    second = await _start_worker(db_url, emu.base_url, CONFIG.lease_seconds + 60)
    out, err = await second.communicate()
    assert second.returncode == 0, err.decode()
    assert json.loads(out) == [{"id": broadcast_id, "status": "completed", "sent": len(MEMBERS)}]

    received = {member: len(emu.messages(member)) for member in MEMBERS}
    assert min(received.values()) == 1  # nobody skipped
    assert max(received.values()) <= 2
    doubled = {str(member) for member, count in received.items() if count == 2}
    assert doubled.isdisjoint(recorded)  # only messages sent but not yet recorded at the kill
    assert len(doubled) <= CONFIG.concurrency + CONFIG.max_unrecorded
    async with session_factory() as session:
        assert (await session.get(Broadcast, broadcast_id)).status == BroadcastStatus.COMPLETED
