"""Charts as SVG drawn in the page: shapes computed here, drawn by `templates/charts.html`.

An SVG with a viewBox and `width: 100%` scales to any width and stays sharp; labels sit
above their bars, so a long commune name never squeezes the bar on a phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BAR_HEIGHT = 14
ROW_HEIGHT = 40
WIDTH = 600


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    x: float  # where the bar starts (stacked bars) and its width, in viewBox units
    width: float
    y: float
    tone: str = "info"  # ok | warn | bad | info | muted: the bar's colour class
    note: str = ""  # the value as written beside the bar ("12 · 40%")


def hbars(rows: Sequence[tuple[str, float, str]], *, maximum: float | None = None,
          notes: Sequence[str] | None = None) -> tuple[list[Bar], int]:
    """One horizontal bar per (label, value, tone), scaled to `maximum` (the largest value by
    default); returns the bars and the chart's height."""
    top = maximum if maximum is not None else max((value for _, value, _ in rows), default=0)
    scale = WIDTH / top if top else 0
    bars = [
        Bar(label, value, 0, value * scale, index * ROW_HEIGHT + 18, tone,
            notes[index] if notes is not None else f"{value:g}")
        for index, (label, value, tone) in enumerate(rows)
    ]
    return bars, len(rows) * ROW_HEIGHT + 4


@dataclass(frozen=True)
class Column:
    label: str
    value: float  # a share from 0 to 100
    x: float
    height: float
    note: str


COLUMNS_HEIGHT = 160


def columns(points: Sequence[tuple[str, float]], *, note_suffix: str = "%") -> list[Column]:
    """Columns of shares (0–100) over time, e.g. the reporting rate of the last six periods."""
    if not points:
        return []
    step = WIDTH / len(points)
    plot = COLUMNS_HEIGHT - 40
    return [
        Column(label, value, index * step + step * 0.2, plot * max(0.0, min(value, 100.0)) / 100,
               f"{value:.0f}{note_suffix}")
        for index, (label, value) in enumerate(points)
    ]
