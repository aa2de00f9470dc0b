"""Benchmark of the reporting views on the whole country: roll-up, export, memory.

Seeds a fresh SQLite file (in a temporary folder) with a root "Việt Nam" over the 34
provinces and 3,321 wards of `vietnam-provinces`, and one month of reports for every ward
(seeded random answers: ~85 % sent, of which ~15 % late, some returned, some drafts, the rest
missing). Then, in this process, it measures:

  (a) the roll-up of the root (ours: two queries) against a naive baseline (one ORM query per
      direct child's subtree), and checks both give the same numbers;
  (b) the XLSX export of every row against the same rows written with the csv module;
  (c) peak memory: tracemalloc's peak over a roll-up, an XLSX export and a chart, and the
      process's maximum resident size.

Run: `.venv/bin/python bench/bench_reports.py` (exit 0 whatever the result; PASS/FAIL printed).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402
from vietnam_provinces import Province  # noqa: E402

from bot.core.forms import Form, current_form, form_for  # noqa: E402
from bot.core.periods import Period, Schedule  # noqa: E402
from bot.services.people.units import UnitRow, get_unit_by_code, import_units, rows_from_vietnam_provinces  # noqa: E402
from bot.services.reporting.charts import rollup_chart  # noqa: E402
from bot.services.reporting.export import export_reports  # noqa: E402
from bot.services.reporting.rollup import ReportState, rollup, state_of  # noqa: E402
from handlers.rollup_text import format_rollup  # noqa: E402
from storage.db import make_engine, make_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Report, ReportStatus, Unit  # noqa: E402

PERIOD = Period.parse("2026-10")
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
TZ = "Asia/Ho_Chi_Minh"
SEED = 20261026
TARGET_ROLLUP_S, TARGET_EXPORT_S, TARGET_PEAK_MB = 1.0, 5.0, 300.0
TYPICAL_MAX = {"sessions": 30, "attendance": 3000, "posts": 120, "supervisions": 4, "criticisms": 2}
SENTENCES = (
    "Nhân dân phấn khởi, đồng tình với chủ trương sắp xếp đơn vị hành chính.",
    "Một số hộ còn lo lắng về giá cả vật tư nông nghiệp tăng cao.",
    "Bà con đề nghị sớm nâng cấp tuyến đường liên ấp trước mùa mưa.",
    "Tình hình an ninh trật tự ổn định; người dân tích cực tham gia tổ tự quản.",
)


# --------------------------------------------------------------------------- seeding


def country_rows() -> list[UnitRow]:
    """A root over every current province and its wards: the largest tree the bot will see."""
    rows = [UnitRow(code="VN", name="Việt Nam", kind="quốc gia", parent_code=None)]
    for province in Province.iter_all():
        province_rows = rows_from_vietnam_provinces(int(province.code))
        rows.append(replace(province_rows[0], parent_code="VN"))
        rows.extend(province_rows[1:])
    return rows


def random_answers(rng: random.Random, form: Form) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for question in form.questions:
        if question.type == "integer":
            answers[question.key] = rng.randint(question.minimum, TYPICAL_MAX.get(question.key, 10))
        elif question.type == "multi_choice":
            options = [option.value for option in question.options]
            answers[question.key] = rng.sample(options, rng.randint(1, min(4, len(options))))
        elif question.type == "photos":
            answers[question.key] = [f"AgACAgUAAxkBAAI{rng.getrandbits(64):016x}" for _ in range(rng.randint(0, 3))]
        elif question.type == "text" and not (question.optional and rng.random() < 0.5):
            answers[question.key] = rng.choice(SENTENCES)
    return answers


def random_report(rng: random.Random, unit_id: int, deadline: datetime, form: Form) -> dict[str, Any] | None:
    """~85 % sent (of which ~15 % late), ~5 % returned, ~5 % drafts, ~5 % missing."""
    draw = rng.random()
    if draw >= 0.95:
        return None
    late = draw < 0.85 and rng.random() < 0.15
    if draw < 0.85:
        status = ReportStatus.ACCEPTED if rng.random() < 0.5 else ReportStatus.SUBMITTED
    else:
        status = ReportStatus.RETURNED if draw < 0.90 else ReportStatus.DRAFT
    offset = timedelta(hours=rng.randint(1, 240))
    sent_at = deadline + offset if late else deadline - offset
    return {
        "unit_id": unit_id, "period_kind": PERIOD.kind, "period_key": PERIOD.key, "form_id": form.id,
        "form_version": form.version, "status": status, "answers": random_answers(rng, form),
        "submitted_answers": None, "deadline": deadline, "late": late,
        "submitted_at": None if status == ReportStatus.DRAFT else sent_at,
        "revision": 1, "created_at": NOW, "updated_at": NOW,
    }


async def seed(factory: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    """The country's units and one month of ward reports; returns (units, reports)."""
    rng = random.Random(SEED)
    form = current_form()
    deadline = Schedule.load().deadline(PERIOD, "commune")
    async with factory() as session:
        await import_units(session, country_rows(), now=NOW)
        wards = (await session.scalars(select(Unit.id).where(Unit.level == 2).order_by(Unit.path))).all()
        reports = [r for r in (random_report(rng, ward, deadline, form) for ward in wards) if r is not None]
        for start in range(0, len(reports), 1000):
            await session.execute(insert(Report), reports[start : start + 1000])
        await session.commit()
        units = await session.scalar(select(func.count()).select_from(Unit))
    return units, len(reports)


# --------------------------------------------------------------------------- the naive baseline


async def naive_rollup(session: AsyncSession, root: Unit) -> tuple[dict[ReportState, int], dict[str, int]]:
    """What one would write first: per direct child, load its subtree and reports as ORM objects."""
    counts: Counter[ReportState] = Counter()
    totals: Counter[str] = Counter()
    children = (await session.scalars(select(Unit).where(Unit.parent_id == root.id))).all()
    for child in children:
        pairs = await session.execute(
            select(Unit, Report)
            .outerjoin(Report, (Report.unit_id == Unit.id) & (Report.period_key == PERIOD.key)
                       & (Report.period_kind == PERIOD.kind))
            .where(Unit.path.like(f"{child.path}%"))
        )
        for _, report in pairs.all():
            state = state_of(report.status, report.late) if report else ReportState.MISSING
            counts[state] += 1
            if state in (ReportState.ON_TIME, ReportState.LATE):
                for key in form_for(report.form_id, report.form_version).summable_keys:
                    value = report.answers.get(key)
                    if isinstance(value, int):
                        totals[key] += value
    return {state: counts[state] for state in ReportState}, dict(totals)


# --------------------------------------------------------------------------- measuring


async def best_of(runs: int, make: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    """The fastest of `runs` runs (each with a fresh session, so no identity-map cache helps)."""
    best, result = float("inf"), None
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        result = await make()
        best = min(best, time.perf_counter() - started)
    return best, result


async def in_session(factory, work: Callable[[AsyncSession, Unit], Awaitable[Any]]) -> Any:
    async with factory() as session:
        return await work(session, await get_unit_by_code(session, "VN"))


def verdict(value: float, target: float) -> str:
    return "PASS" if value < target else "FAIL"


async def main(runs: int) -> int:
    with tempfile.TemporaryDirectory(prefix="ketnoi-bench-") as folder:
        folder_path = Path(folder)
        engine = make_engine(f"sqlite+aiosqlite:///{folder_path / 'bench.db'}")
        try:
            await upgrade(engine)
            factory = make_session_factory(engine)
            started = time.perf_counter()
            units, reports = await seed(factory)
            seeded_in = time.perf_counter() - started
            await report(factory, folder_path, runs, units, reports, seeded_in)
        finally:
            await engine.dispose()
    return 0


async def report(factory, folder: Path, runs: int, units: int, reports: int, seeded_in: float) -> None:
    ours_s, ours = await best_of(runs, lambda: in_session(factory, lambda s, u: rollup(s, u, PERIOD)))
    naive_s, (naive_counts, naive_totals) = await best_of(runs, lambda: in_session(factory, naive_rollup))
    same = ours.counts == naive_counts and ours.totals == naive_totals

    xlsx, csv_path = folder / "country.xlsx", folder / "country.csv"
    xlsx_s, summary = await best_of(
        runs, lambda: in_session(factory, lambda s, u: export_reports(s, u, PERIOD, "xlsx", xlsx, TZ))
    )
    csv_s, _ = await best_of(
        runs, lambda: in_session(factory, lambda s, u: export_reports(s, u, PERIOD, "csv", csv_path, TZ))
    )
    chart_s, png = await best_of(runs, lambda: asyncio.to_thread(rollup_chart, ours))
    text = format_rollup(ours, TZ)

    gc.collect()
    tracemalloc.start()
    await in_session(factory, lambda s, u: rollup(s, u, PERIOD))
    await in_session(factory, lambda s, u: export_reports(s, u, PERIOD, "xlsx", folder / "peak.xlsx", TZ))
    rollup_chart(ours)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_mb = peak / 2**20
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB

    print(f"KetNoi reporting benchmark: {units:,} units (root + 34 provinces + wards), {reports:,} reports "
          f"for {PERIOD.label}; SQLite; seeded in {seeded_in:.1f} s; best of {runs}")
    print(f"roll-up: expected {ours.expected:,}, sent {ours.submitted:,} ({ours.reporting_rate:.1%}), "
          f"on time {ours.counts[ReportState.ON_TIME]:,}; baseline agrees: {'yes' if same else 'NO'}")
    rows = [
        ("measure", "ours", "baseline", "ratio", "target", "result"),
        ("(a) roll-up of the root", f"{ours_s * 1000:.0f} ms", f"{naive_s * 1000:.0f} ms",
         f"{naive_s / ours_s:.1f}x faster", f"< {TARGET_ROLLUP_S:.0f} s", verdict(ours_s, TARGET_ROLLUP_S)),
        (f"(b) export {summary.rows:,} rows xlsx / csv", f"{xlsx_s * 1000:.0f} ms", f"{csv_s * 1000:.0f} ms",
         f"xlsx {xlsx_s / csv_s:.1f}x csv", f"< {TARGET_EXPORT_S:.0f} s", verdict(xlsx_s, TARGET_EXPORT_S)),
        ("    file size xlsx / csv", f"{xlsx.stat().st_size / 1024:.0f} KiB",
         f"{csv_path.stat().st_size / 1024:.0f} KiB", "", "", ""),
        (f"    chart ({len(ours.children)} bars) / chat text", f"{chart_s * 1000:.0f} ms",
         f"{len(png) / 1024:.0f} KiB png", f"{len(text)} chars", "", ""),
        ("(c) peak traced (tracemalloc)", f"{peak_mb:.1f} MB", "", "", f"< {TARGET_PEAK_MB:.0f} MB",
         verdict(peak_mb, TARGET_PEAK_MB)),
        ("    max resident size (whole run)", f"{rss_mb:.1f} MB", "", "", f"< {TARGET_PEAK_MB:.0f} MB",
         verdict(rss_mb, TARGET_PEAK_MB)),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    if not same:
        print("FAIL: the roll-up and the baseline disagree")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measure; the best is shown")
    sys.exit(asyncio.run(main(parser.parse_args().runs)))
