"""APScheduler inside the service: it only *drives* the services on a timer.

Jobs carry no state and have fixed ids (`replace_existing=True`), so starting twice or after a
restart never doubles them; what is due, and whether it was already done, is decided from the
database on each run (see `broadcasts.reminders.decide`). Missed runs coalesce into one.

Several processes on one database each run the same timers, so each run first claims its job's
time slot (`job_runs`, one row per job and slot, insert-if-absent): of all the processes whose
timer fires within one interval, only the first runs the job; the others skip that tick. What
each job sends stays guarded by its own ledger as well (`reminder_ledger`, versions, leases), so
a slot claimed by a process that then dies costs at most that one tick. `run_now` (operators,
tests) runs at once, without a claim.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.meter import NO_METER, Meter
from storage.claims import insert_if_absent
from storage.failures import is_database_error
from storage.models import JobRun

log = logging.getLogger(__name__)
REMINDERS_JOB = "reminders-tick"
ISSUES_JOB = "urgent-issues-tick"
RELEASE_JOB = "scheduled-broadcasts"
HOUSEKEEPING_JOB = "housekeeping"
MAIL_JOB = "mail"
JOB_RUNS_KEPT = timedelta(days=2)


def slot_of(now: datetime, minutes: float) -> int:
    """The start (Unix seconds) of the slot of `minutes` that `now` falls in; slots start at the epoch."""
    length = max(1, round(minutes * 60))
    return int(now.timestamp()) // length * length


async def claim_slot(session: AsyncSession, job_id: str, slot: int, now: datetime) -> bool:
    """True for the one caller (of any process) that gets to run `job_id` in `slot`."""
    return await insert_if_absent(session, JobRun, job=job_id, slot=slot, ran_at=now)


async def prune_job_runs(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(JobRun).where(JobRun.ran_at < now - JOB_RUNS_KEPT))


class Scheduler:
    """Owns the `AsyncIOScheduler`; started and stopped by the composition root."""

    def __init__(
        self,
        tz_name: str,
        sessions: async_sessionmaker[AsyncSession] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        meter: Meter = NO_METER,
    ) -> None:
        self.meter = meter
        self.scheduler = AsyncIOScheduler(timezone=tz_name)
        self.runs: dict[str, int] = {}
        self.skipped: dict[str, int] = {}  # ticks another process had already claimed
        self._sessions = sessions  # None: one process, no claims
        self._clock = clock
        self._forced: set[str] = set()
        self._ran = asyncio.Event()
        self._running: set[asyncio.Task] = set()

    async def _claim(self, job_id: str, minutes: float) -> bool:
        if job_id in self._forced:
            self._forced.discard(job_id)
            return True
        if self._sessions is None:
            return True
        now = self._clock()
        async with self._sessions() as session, session.begin():
            return await claim_slot(session, job_id, slot_of(now, minutes), now)

    def every(self, job_id: str, minutes: float, work: Callable[[], Awaitable[object]]) -> None:
        """Run `work` every `minutes` (the first time one interval after start); one at a time."""

        async def run() -> None:
            task = asyncio.current_task()
            self._running.add(task)
            try:
                if await self._claim(job_id, minutes):
                    await work()
                else:
                    self.skipped[job_id] = self.skipped.get(job_id, 0) + 1
            except Exception as exc:
                log.exception("scheduled job %s failed", job_id)
                if is_database_error(exc):
                    self.meter.database_error("scheduler")
            finally:
                self._running.discard(task)
                self.runs[job_id] = self.runs.get(job_id, 0) + 1
                self._ran.set()

        self.scheduler.add_job(
            run,
            "interval",
            minutes=minutes,
            id=job_id,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            # A run found late (a busy event loop, a slow machine) still runs, once: the default
            # grace of one second would skip it silently until the next interval.
            misfire_grace_time=None,
        )

    def start(self) -> None:
        self.scheduler.start()

    async def stop(self) -> None:
        """Stop timing, and let a run in progress finish, so nothing is cut off half-claimed."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    async def run_now(self, job_id: str) -> None:
        """Trigger a job at once and wait until it has run (operators and tests)."""
        before = self.runs.get(job_id, 0)
        self._forced.add(job_id)
        self.scheduler.modify_job(job_id, next_run_time=datetime.now(UTC))
        self.scheduler.wakeup()
        while self.runs.get(job_id, 0) == before:
            self._ran.clear()
            await self._ran.wait()
