"""Benchmark of the `/tiendo` chart: how long a picture takes and how big it is, old and new.

Seeds two fresh SQLite files (in a temporary folder) with one month of commune reports
(seeded random states, as `bench_reports.py`): Vĩnh Long (code 86, flat: 124 communes,
no districts) and the three-tier Trà Vinh of 2022 (`tests/data/tra-vinh-2022.csv`: 9
districts over 106 communes). For each roll-up it measures, in this process, the chart as
drawn today (`rollup_chart`) against the chart as it was before it was made for phones
(`old_rollup_chart` below: one stacked bar per direct child, 1000 px wide, growing downwards),
and, in a fresh process each, the first chart including matplotlib's import (what the first
`/tiendo` after a restart costs).

Run: `.venv/bin/python bench/bench_progress_chart.py` (exit 0 whatever the result; PASS/FAIL printed).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import pickle
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from PIL import Image  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from bench.bench_reports import NOW, PERIOD, SEED, random_report  # noqa: E402
from bot.core.forms import current_form  # noqa: E402
from bot.core.periods import Schedule  # noqa: E402
from bot.services.people.units import (  # noqa: E402
    get_unit_by_code,
    import_units,
    rows_from_csv,
    rows_from_vietnam_provinces,
)
from bot.services.reporting.charts import LEGEND, rollup_chart  # noqa: E402
from bot.services.reporting.rollup import RollUp, number, percent, rollup  # noqa: E402
from storage.db import make_engine, make_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Report, Unit  # noqa: E402

TRA_VINH_CSV = ROOT / "tests" / "data" / "tra-vinh-2022.csv"
TARGET_S = 0.5  # "well under a second"; judged on CPU time, which other load on a shared machine does not inflate
MAX_SIZE = (800, 1000)


# --------------------------------------------------------------------------- the old chart (baseline)

OLD_DPI, OLD_WIDTH_IN, OLD_BAR_IN, OLD_BAR_FILL, OLD_MARGIN_IN, OLD_MAX_HEIGHT_IN, OLD_MIN_HEIGHT_IN = (
    100, 10.0, 0.28, 0.75, 1.6, 85.0, 3.0
)


def old_rollup_chart(r: RollUp) -> bytes:
    """The chart before it fitted a phone: one stacked bar per direct child, constrained layout."""
    data = [(child.name, dict(child.area.counts)) for child in r.children]
    height = min(OLD_MAX_HEIGHT_IN, max(OLD_MIN_HEIGHT_IN, OLD_MARGIN_IN + OLD_BAR_IN * len(data)))
    figure = Figure(figsize=(OLD_WIDTH_IN, height), dpi=OLD_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    figure.suptitle(f"{r.period.label} – {r.unit_name}\n{number(r.submitted)}/{number(r.expected)} "
                    f"({percent(r.reporting_rate)})", fontsize=12)
    starts = [0] * len(data)
    for state, label, colour in LEGEND:
        boxes = []
        for row, (_, counts) in enumerate(data):
            width = counts[state]
            if width:
                left, top, bottom = starts[row], row - OLD_BAR_FILL / 2, row + OLD_BAR_FILL / 2
                boxes.append(((left, top), (left + width, top), (left + width, bottom), (left, bottom)))
                starts[row] += width
        axes.add_collection(PolyCollection(boxes, facecolors=colour, edgecolors="none", label=label))
    room = (OLD_MAX_HEIGHT_IN - OLD_MARGIN_IN) / max(len(data), 1)
    axes.set_yticks(range(len(data)), [name for name, _ in data], fontsize=max(4.0, min(9.0, room / OLD_BAR_IN * 9.0)))
    axes.set_ylim(len(data) - 0.5, -0.5)
    axes.set_xlim(0, max([*starts, 1]) * 1.02)
    axes.grid(axis="x", alpha=0.3)
    axes.set_axisbelow(True)
    handles = [Patch(facecolor=colour, label=label) for _, label, colour in LEGEND]
    axes.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=len(LEGEND), frameon=False,
                fontsize=9)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=OLD_DPI)
    return buffer.getvalue()


# --------------------------------------------------------------------------- data


async def seeded_rollup(folder: Path, code: str, rows) -> RollUp:
    """A fresh database with `rows` as units and one month of random reports below `code`."""
    engine = make_engine(f"sqlite+aiosqlite:///{folder / f'{code}.db'}")
    try:
        await upgrade(engine)
        factory = make_session_factory(engine)
        rng, form = random.Random(SEED), current_form()
        async with factory() as session:
            await import_units(session, rows, now=NOW)
            root = await get_unit_by_code(session, code)
            below = (await session.scalars(
                select(Unit).where(Unit.path.like(f"{root.path}%"), Unit.id != root.id).order_by(Unit.path)
            )).all()
            deadline = Schedule.load().deadline(PERIOD, "commune")  # one deadline: only the mix of states matters
            reports = [random_report(rng, unit.id, deadline, form) for unit in below]
            await session.execute(insert(Report), [report for report in reports if report is not None])
            await session.commit()
            return await rollup(session, root, PERIOD)
    finally:
        await engine.dispose()


# --------------------------------------------------------------------------- measures


def best_of(runs: int, draw: Callable[[RollUp], bytes], r: RollUp) -> tuple[float, float, bytes]:
    """Best wall-clock and best CPU seconds: on a shared machine the CPU time is the steadier one."""
    best, best_cpu, png = float("inf"), float("inf"), b""
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        png = draw(r)
        best, best_cpu = min(best, time.perf_counter() - started), min(best_cpu, time.process_time() - started_cpu)
    return best, best_cpu, png


COLD = """
import pickle, sys, time
started = time.perf_counter()
sys.path.insert(0, {root!r})
from {module} import {function} as draw
r = pickle.loads(sys.stdin.buffer.read())
imported, imported_cpu = time.perf_counter(), time.process_time()
draw(r)
print(imported - started, time.process_time() - imported_cpu)
"""


def cold_start(r: RollUp, module: str, function: str) -> tuple[float, float]:
    """Wall seconds for a fresh interpreter to import the chart module, then CPU seconds for its first chart.

    The bot imports the module when it starts, so the first `/tiendo` after a restart pays
    only the second number.
    """
    script = COLD.format(root=str(ROOT), module=module, function=function)
    done = subprocess.run([sys.executable, "-c", script], input=pickle.dumps(r), capture_output=True, check=True)
    imported, drawn = done.stdout.decode().strip().splitlines()[-1].split()
    return float(imported), float(drawn)


def size(png: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(png)) as image:
        return image.size


def measure(name: str, r: RollUp, runs: int, folder: Path) -> list[tuple[str, ...]]:
    ours_s, ours_cpu, ours = best_of(runs, rollup_chart, r)
    old_s, old_cpu, old = best_of(runs, old_rollup_chart, r)
    ours_cold = cold_start(r, "bot.services.reporting.charts", "rollup_chart")
    old_cold = cold_start(r, "bench.bench_progress_chart", "old_rollup_chart")
    (folder / f"{name}-new.png").write_bytes(ours)
    (folder / f"{name}-old.png").write_bytes(old)
    (w, h), (ow, oh) = size(ours), size(old)
    fits = w <= MAX_SIZE[0] and h <= MAX_SIZE[1]
    return [
        (f"{name}: chart, warm (wall)", f"{ours_s * 1000:.0f} ms", f"{old_s * 1000:.0f} ms", f"{old_s / ours_s:.1f}x",
         "", ""),
        ("    the same in CPU time", f"{ours_cpu * 1000:.0f} ms", f"{old_cpu * 1000:.0f} ms",
         f"{old_cpu / ours_cpu:.1f}x", f"< {TARGET_S * 1000:.0f} ms", "PASS" if ours_cpu < TARGET_S else "FAIL"),
        (f"{name}: first chart after start, CPU", f"{ours_cold[1] * 1000:.0f} ms",
         f"{old_cold[1] * 1000:.0f} ms", f"{old_cold[1] / ours_cold[1]:.1f}x", f"< {TARGET_S * 1000:.0f} ms",
         "PASS" if ours_cold[1] < TARGET_S else "FAIL"),
        ("    import of the chart module (fresh process)", f"{ours_cold[0] * 1000:.0f} ms",
         f"{old_cold[0] * 1000:.0f} ms", "", "", ""),
        (f"{name}: picture", f"{w}×{h} px, {len(ours) / 1024:.0f} KiB", f"{ow}×{oh} px, {len(old) / 1024:.0f} KiB",
         "", f"≤ {MAX_SIZE[0]}×{MAX_SIZE[1]}", "PASS" if fits else "FAIL"),
    ]


async def main(runs: int, keep: Path | None) -> int:
    with tempfile.TemporaryDirectory(prefix="ketnoi-bench-") as temporary:
        folder = Path(temporary)
        flat = await seeded_rollup(folder, "86", rows_from_vietnam_provinces(86))
        tiers = await seeded_rollup(folder, "84", rows_from_csv(TRA_VINH_CSV))
        pictures = keep or folder
        pictures.mkdir(parents=True, exist_ok=True)
        rows = [("measure", "ours", "old chart", "ratio", "target", "result")]
        rows += measure(f"Vĩnh Long ({len(flat.children)} communes)", flat, runs, pictures)
        rows += measure(f"Trà Vinh ({len(tiers.children)} districts, {tiers.expected} units)", tiers, runs, pictures)
    print(f"KetNoi /tiendo chart benchmark, {PERIOD.label}; best of {runs} in this process")
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    if keep:
        print(f"pictures in {keep}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measure; the best is shown")
    parser.add_argument("--keep", type=Path, help="a folder to keep the PNGs in, to look at them")
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.runs, arguments.keep)))
