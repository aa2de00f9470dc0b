"""Several processes on one database run each scheduler job once per tick (`bot.scheduler`).

Two `Scheduler`s, each with its own engine as two processes would have, share one database and
one injected clock. Their timers are fired by hand, as APScheduler would fire them, in any order
within a slot: exactly one of them runs the job in each slot.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from bot.scheduler import REMINDERS_JOB, Scheduler, prune_job_runs, slot_of
from storage.db import make_engine, make_session_factory
from tests.support import FakeClock


async def fire(scheduler: Scheduler, job_id: str) -> None:
    """What APScheduler does when the job's timer goes off."""
    await scheduler.scheduler.get_job(job_id).func()


async def test_two_schedulers_on_one_database_run_each_tick_once(db_url, now):
    clock = FakeClock(now.replace(minute=0, second=10))
    engines = [make_engine(db_url), make_engine(db_url)]
    ran: Counter[str] = Counter()
    schedulers = []
    for name, engine in zip("AB", engines, strict=True):

        async def work(name: str = name) -> None:
            ran[name] += 1

        scheduler = Scheduler("Asia/Ho_Chi_Minh", make_session_factory(engine), clock)
        scheduler.every(REMINDERS_JOB, 5, work)
        schedulers.append(scheduler)
    a, b = schedulers
    try:
        await fire(a, REMINDERS_JOB)
        clock.advance(seconds=40)  # B's timer, started later, fires within the same 5-minute slot
        await fire(b, REMINDERS_JOB)
        assert ran == {"A": 1}
        assert (a.runs, a.skipped, b.runs, b.skipped) == ({REMINDERS_JOB: 1}, {}, {REMINDERS_JOB: 1}, {REMINDERS_JOB: 1})

        clock.advance(minutes=5)  # the next slot: whoever fires first runs it
        await fire(b, REMINDERS_JOB)
        await fire(a, REMINDERS_JOB)
        assert ran == {"A": 1, "B": 1}

        clock.advance(minutes=5)  # A is gone (no timer fires): B alone runs every slot
        await fire(b, REMINDERS_JOB)
        assert ran == {"A": 1, "B": 2}

        a.start()
        await a.run_now(REMINDERS_JOB)  # an operator's run does not wait for a slot
        assert ran == {"A": 2, "B": 2}
    finally:
        await a.stop()
        for engine in engines:
            await engine.dispose()


async def test_slots_start_at_the_epoch_so_every_process_agrees(now):
    start = now.replace(minute=0, second=0)
    assert slot_of(start, 5) == slot_of(start + timedelta(minutes=4, seconds=59), 5)
    assert slot_of(start + timedelta(minutes=5), 5) == slot_of(start, 5) + 300
    assert slot_of(start, 0.5) != slot_of(start + timedelta(seconds=30), 0.5)


async def test_old_slot_claims_are_pruned(session_factory, now):
    clock = FakeClock(now)
    ran = []

    async def work() -> None:
        ran.append(clock())

    scheduler = Scheduler("Asia/Ho_Chi_Minh", session_factory, clock)
    scheduler.every("job", 1, work)
    await fire(scheduler, "job")
    clock.advance(days=3)
    async with session_factory() as session, session.begin():
        await prune_job_runs(session, clock())
    clock.advance(days=-3)  # the same slot again (a clock set back): its claim is gone, it runs
    await fire(scheduler, "job")
    assert len(ran) == 2


async def test_a_run_found_late_by_a_busy_event_loop_still_runs_once(now):
    """A busy loop (a slow CI machine) that reaches a due timer seconds late runs it, not skips it."""
    from datetime import UTC, datetime

    ran = asyncio.Event()

    async def work() -> None:
        ran.set()

    scheduler = Scheduler("Asia/Ho_Chi_Minh", None, FakeClock(now))
    scheduler.every("job", 5, work)
    scheduler.start()
    try:
        job = scheduler.scheduler.get_job("job")
        # As if the loop had been blocked for 30 s past the run time (two missed runs coalesce).
        job.modify(next_run_time=datetime.now(UTC) - timedelta(seconds=30))
        scheduler.scheduler.wakeup()
        await ran.wait()  # without a grace for late runs it would be skipped: a named timeout here
        assert scheduler.runs == {"job": 1}
    finally:
        await scheduler.stop()
