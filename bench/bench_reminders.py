"""Benchmark: deciding which reminders are due for the whole country.

Seeds a fresh SQLite file with the whole country (a root over 34 provinces and 3,321 wards,
as in bench_reports.py) and one month of reports, then, at 09:00 on 15 December 2026 (when
December, the quarter, the half-year and the year are 3 days from their deadline and November
is overdue: five reminders due for every commune),
measures in this process:

  ours      `find_due`: three queries and a pass in Python over units × open periods;
  baseline  what one would write first: for each unit and open period, one query for its
            report and one for its ledger rows (timed on every 10th unit, scaled by 10).

Both must find the same reminders. Run: `.venv/bin/python bench/bench_reminders.py`.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402

from bench.bench_reports import seed  # noqa: E402
from bot.core.periods import Schedule  # noqa: E402
from bot.services.reporting.reports import COUNTED  # noqa: E402
from broadcasts.reminders.decide import REMIND, ReminderPolicy, find_due, load_units  # noqa: E402
from storage.db import make_engine, make_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import ReminderLedger, Report  # noqa: E402

NOW = datetime(2026, 12, 15, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam, 3 days before December's deadlines
SAMPLE = 10  # the baseline visits every 10th unit (it is that slow) and is scaled up
TARGET_SECONDS = 1.0


async def naive_due(
    session: AsyncSession, schedule: Schedule, policy: ReminderPolicy
) -> tuple[set[tuple], set[int]]:
    """Officer reminders only, unit by unit: the shape of code this module avoids."""
    found = set()
    sample = list((await load_units(session)).values())[::SAMPLE]
    for unit in sample:
        for open_period in schedule.open_periods(unit.level, NOW):
            key = open_period.period.key
            status = await session.scalar(
                select(Report.status).where(Report.unit_id == unit.id, Report.period_key == key)
            )
            if status in COUNTED:
                continue
            stage = policy.officer_stage(open_period.deadline, NOW)
            sent = await session.scalar(
                select(ReminderLedger.id).where(
                    ReminderLedger.kind == REMIND, ReminderLedger.unit_id == unit.id,
                    ReminderLedger.period_key == key, ReminderLedger.stage == stage,
                )
            )
            if stage and sent is None:
                found.add((REMIND, unit.id, key, stage))
    return found, {unit.id for unit in sample}


async def main() -> int:
    schedule, policy = Schedule.load(), ReminderPolicy.load()
    with tempfile.TemporaryDirectory(prefix="ketnoi-bench-") as folder:
        engine = make_engine(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        try:
            await upgrade(engine)
            factory = make_session_factory(engine)
            units, reports = await seed(factory)
            best, due = float("inf"), []
            for _ in range(3):
                async with factory() as session:
                    started = time.perf_counter()
                    due = await find_due(session, NOW, schedule, policy)
                    best = min(best, time.perf_counter() - started)
            async with factory() as session:
                started = time.perf_counter()
                naive = await naive_due(session, schedule, policy)
                naive_s = (time.perf_counter() - started) * SAMPLE
        finally:
            await engine.dispose()
    naive, sampled = naive
    ours = {d.ledger_key for d in due if d.kind == REMIND}
    periods = len({d.period_key for d in due if d.kind == REMIND})  # periods with reminders due now
    print(f"KetNoi reminders benchmark: {units:,} units, {reports:,} reports, {periods} open periods, SQLite")
    print(f"due now: {len(due):,} items ({len(ours):,} officer reminders); baseline agrees: {'yes' if {k for k in ours if k[1] in sampled} == naive else 'NO'}")
    print(f"{'measure':34}{'ours':>10}{'baseline*':>12}{'ratio':>14}{'target':>10}{'result':>8}")
    verdict = "PASS" if best < TARGET_SECONDS else "FAIL"
    print(f"{'decide what is due (whole country)':34}{best * 1000:>8.0f}ms{naive_s * 1000:>10.0f}ms"
          f"{naive_s / best:>10.1f}x   {'< 1 s':>8}{verdict:>8}")
    print(f"* baseline timed on every {SAMPLE}th unit and multiplied by {SAMPLE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
