"""APScheduler inside the service: it only *drives* the services on a timer.

Jobs carry no state and have fixed ids (`replace_existing=True`), so starting twice or after a
restart never doubles them; what is due, and whether it was already done, is decided from the
database on each run (see `broadcasts.reminders.decide`). Missed runs coalesce into one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.meter import NO_METER, Meter
from storage.failures import is_database_error

log = logging.getLogger(__name__)
REMINDERS_JOB = "reminders-tick"
ISSUES_JOB = "urgent-issues-tick"
RELEASE_JOB = "scheduled-broadcasts"
HOUSEKEEPING_JOB = "housekeeping"
MAIL_JOB = "mail"


class Scheduler:
    """Owns the `AsyncIOScheduler`; started and stopped by the composition root."""

    def __init__(self, tz_name: str, meter: Meter = NO_METER) -> None:
        self.meter = meter
        self.scheduler = AsyncIOScheduler(timezone=tz_name)
        self.runs: dict[str, int] = {}
        self._ran = asyncio.Event()
        self._running: set[asyncio.Task] = set()

    def every(self, job_id: str, minutes: float, work: Callable[[], Awaitable[object]]) -> None:
        """Run `work` every `minutes` (the first time one interval after start); one at a time."""

        async def run() -> None:
            task = asyncio.current_task()
            self._running.add(task)
            try:
                await work()
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
        self.scheduler.modify_job(job_id, next_run_time=datetime.now(UTC))
        self.scheduler.wakeup()
        while self.runs.get(job_id, 0) == before:
            self._ran.clear()
            await self._ran.wait()
