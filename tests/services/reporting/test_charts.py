"""The roll-up chart: its numbers are the roll-up's, and the PNG fits Telegram's photo limits."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from PIL import Image

from bot.services.reporting.charts import chart_data, rollup_chart
from bot.services.reporting.rollup import ChildRow, ReportState, RollUp
from tests.services.reporting.test_rollup import (
    PERIOD,
    import_tra_vinh,
    import_vinh_long,
    rollup_of,
    seed_reports,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_MAGIC)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        return image.size


def assert_fits_telegram(width: int, height: int) -> None:
    assert width + height <= 10_000
    assert max(width, height) / min(width, height) <= 20


def summed(data: list[tuple[str, dict[ReportState, int]]]) -> dict[ReportState, int]:
    total: Counter[ReportState] = Counter()
    for _, counts in data:
        total.update(counts)
    return {state: total[state] for state in ReportState}


async def test_two_tier_bars_are_one_per_commune_and_add_up_to_the_rollup(session_factory, now):
    await import_vinh_long(session_factory, now)
    await seed_reports(session_factory, "86", now)
    r = await rollup_of(session_factory, "86")
    data = chart_data(r)

    assert [name for name, _ in data] == [child.name for child in r.children]
    for (_, counts), child in zip(data, r.children, strict=True):
        assert counts == {**dict.fromkeys(ReportState, 0), child.state: 1}
    assert summed(data) == r.counts
    width, height = png_size(rollup_chart(r))
    assert_fits_telegram(width, height)
    assert height > width  # 124 bars: the chart grows downwards


async def test_three_tier_bars_are_each_districts_area(session_factory, now):
    await import_tra_vinh(session_factory, now)
    await seed_reports(session_factory, "84", now)
    r = await rollup_of(session_factory, "84")
    data = chart_data(r)

    assert len(data) == 9
    for (_, counts), child in zip(data, r.children, strict=True):
        own = Counter({child.state: 1})
        assert counts == {state: child.subtree.counts[state] + own[state] for state in ReportState}
    assert summed(data) == r.counts
    assert_fits_telegram(*png_size(rollup_chart(r)))


def fake_rollup(children: int) -> RollUp:
    states = list(ReportState)
    rows = [ChildRow(f"{n:05d}", f"Xã Thử Nghiệm {n}", states[n % len(states)], None, None) for n in range(children)]
    counts = Counter(row.state for row in rows)
    return RollUp("VN", "Việt Nam", PERIOD, children, {s: counts[s] for s in ReportState}, {}, rows)


@pytest.mark.parametrize("children", [0, 1, 3, 600])
def test_any_number_of_children_stays_within_telegram_limits(children):
    width, height = png_size(rollup_chart(fake_rollup(children)))
    assert_fits_telegram(width, height)
