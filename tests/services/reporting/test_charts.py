"""The roll-up chart: its numbers are the roll-up's, and the PNG is phone-sized whatever the province."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from PIL import Image

from bot.services.reporting.charts import MAX_ROWS, chart_data, rollup_chart
from bot.services.reporting.rollup import ATTENTION, ChildRow, ReportState, RollUp, Tally
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


def assert_fits_a_phone(width: int, height: int) -> None:
    """At most 800×1000 px: halved to a 390 px screen, the 10 pt letters stay about 12 px tall."""
    assert width <= 800 and height <= 1000
    assert width + height <= 10_000 and max(width, height) / min(width, height) <= 20  # Telegram's photo limits


def summed(rows: list[tuple[str, dict[ReportState, int]]]) -> dict[ReportState, int]:
    total: Counter[ReportState] = Counter()
    for _, counts in rows:
        total.update(counts)
    return {state: total[state] for state in ReportState}


async def test_a_flat_province_shows_counts_by_state_and_the_ten_units_to_chase(session_factory, now):
    await import_vinh_long(session_factory, now)
    await seed_reports(session_factory, "86", now)
    r = await rollup_of(session_factory, "86")
    data = chart_data(r)

    assert data.counts == r.counts and not data.by_child
    flagged = [child for child in r.children if child.state in ATTENTION]
    assert data.count == len(flagged) > MAX_ROWS == len(data.rows)  # not one bar per commune
    worst = sorted(flagged, key=lambda child: ATTENTION.index(child.state))[:MAX_ROWS]
    assert [name for name, _ in data.rows] == [child.name for child in worst]  # missing ones first
    for (_, counts), child in zip(data.rows, worst, strict=True):
        assert counts == {**dict.fromkeys(ReportState, 0), child.state: 1}
    assert_fits_a_phone(*png_size(rollup_chart(r)))


async def test_a_province_with_districts_shows_one_bar_per_district(session_factory, now):
    await import_tra_vinh(session_factory, now)
    await seed_reports(session_factory, "84", now)
    r = await rollup_of(session_factory, "84")
    data = chart_data(r)

    assert data.by_child and len(data.rows) == data.count == 9
    for (_, counts), child in zip(data.rows, r.children, strict=True):
        own = Counter({child.state: 1})
        assert counts == {state: child.subtree.counts[state] + own[state] for state in ReportState}
    assert summed(data.rows) == data.counts == r.counts
    assert_fits_a_phone(*png_size(rollup_chart(r)))


def fake_rollup(children: int) -> RollUp:
    states = list(ReportState)
    rows = [ChildRow(f"{n:05d}", f"Xã Thử Nghiệm {n}", states[n % len(states)], None, None) for n in range(children)]
    counts = Counter(row.state for row in rows)
    return RollUp("VN", "Việt Nam", PERIOD, children, {s: counts[s] for s in ReportState}, {}, rows)


def test_many_sub_areas_show_the_ten_with_the_lowest_reporting_rate():
    rows = []
    for n in range(34):
        subtree = Tally()
        subtree.add(ReportState.ON_TIME, n)
        subtree.add(ReportState.MISSING, 34 - n)
        rows.append(ChildRow(f"{n:02d}", f"Tỉnh {n}", ReportState.ON_TIME, None, None, subtree))
    r = RollUp("VN", "Việt Nam", PERIOD, 34 * 35, dict.fromkeys(ReportState, 0), {}, rows)
    data = chart_data(r)

    assert data.by_child and data.count == 34
    assert [name for name, _ in data.rows] == [f"Tỉnh {n}" for n in range(MAX_ROWS)]
    assert_fits_a_phone(*png_size(rollup_chart(r)))


@pytest.mark.parametrize("children", [0, 1, 3, 124, 600])
def test_any_number_of_children_fits_a_phone(children):
    width, height = png_size(rollup_chart(fake_rollup(children)))
    assert_fits_a_phone(width, height)
    assert len(chart_data(fake_rollup(children)).rows) <= MAX_ROWS
