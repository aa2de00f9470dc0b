"""The roll-up as a picture sent as a chat photo, drawn to be read on a phone 390 px wide.

Two panels: first the counts by state (one short bar each, so the colours need no legend),
then either one stacked bar per sub-area (a province with districts) or, for a flat
province, the units that need a reminder — never one bar per commune. At most `MAX_ROWS`
rows, so the picture stays at most 800×1000 px and its letters survive being halved.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, so no global figure state,
no GUI and safe in a worker thread). The default font, DejaVu Sans, has every Vietnamese
glyph. Few artists and no layout solver keep a chart well under a second.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from bot.services.reporting.rollup import ATTENTION, ChildRow, ReportState, RollUp, number, percent

DPI = 100
WIDTH_IN = 10.0  # the poll chart's width
MIN_HEIGHT_IN = 3.0

CHART_DPI = 200  # inches × 200 = pixels: 4 in wide is 800 px, so 10 pt letters stay ~13 px at 390 px
CHART_WIDTH_IN = 4.0
MAX_ROWS = 10  # rows in the lower panel: the worst sub-areas or units, the rest counted
ROW_IN = 0.24
STATUS_IN = 1.45  # the counts-by-state panel
HEAD_IN = 0.62  # three title lines
GAP_IN = 0.36  # the lower panel's title
FOOT_IN = 0.12
BAR_FILL = 0.7  # share of a row a bar fills
NAME_CHARS = 20  # longer names are cut with "…" so the bars keep their width
LABEL_IN = 1.5  # room left of the bars for names

LEGEND = (
    (ReportState.ON_TIME, "Đúng hạn", "#2e7d32"),
    (ReportState.LATE, "Nộp muộn", "#f9a825"),
    (ReportState.RETURNED, "Bị trả lại", "#ef6c00"),
    (ReportState.DRAFT, "Đang soạn", "#90a4ae"),
    (ReportState.MISSING, "Chưa nộp", "#c62828"),
)
LABELS = {state: label for state, label, _ in LEGEND}
COLOURS = {state: colour for state, _, colour in LEGEND}
TEXTS = {
    "title": "Tiến độ nộp báo cáo {period}\n{unit}\nĐã nộp {submitted}/{expected} ({rate})",
    "by_child": "Theo đơn vị trực thuộc",
    "worst_children": "{shown}/{count} đơn vị có tỷ lệ nộp thấp nhất",
    "attention": "Đơn vị cần nhắc ({count})",
    "attention_some": "Đơn vị cần nhắc ({shown}/{count}, xem /xuat)",
    "all_on_time": "Tất cả đơn vị đã nộp đúng hạn",
    "empty": "Không có đơn vị trực thuộc",
}


@dataclass(frozen=True)
class ChartData:
    """What the picture shows: counts by state, then at most `MAX_ROWS` named rows.

    `by_child` rows are sub-areas (a stacked bar each: own report plus the units below);
    otherwise the rows are units needing a reminder, one state each. `count` is how many
    rows there were before the cap.
    """

    counts: dict[ReportState, int]
    rows: list[tuple[str, dict[ReportState, int]]]
    by_child: bool
    count: int


def chart_data(r: RollUp) -> ChartData:
    """Sub-areas when the unit has any (the worst first when they are too many), else who to chase."""
    if any(child.subtree is not None for child in r.children):
        children = r.children
        if len(children) > MAX_ROWS:
            children = sorted(children, key=lambda child: child.area.reporting_rate)[:MAX_ROWS]
        rows = [(child.name, dict(child.area.counts)) for child in children]
        return ChartData(dict(r.counts), rows, True, len(r.children))
    flagged = needing_attention(r.children)
    rows = [(child.name, {**dict.fromkeys(ReportState, 0), child.state: 1}) for child in flagged[:MAX_ROWS]]
    return ChartData(dict(r.counts), rows, False, len(flagged))


def needing_attention(children: list[ChildRow]) -> list[ChildRow]:
    """Children whose report is missing, a draft, returned or late: the most urgent first, by name within."""
    flagged = [child for child in children if child.state in ATTENTION]
    return sorted(flagged, key=lambda child: ATTENTION.index(child.state))


def rollup_chart(r: RollUp) -> bytes:
    """A PNG of `chart_data(r)`, at most 800×1000 px.

    Cheap (a few tens of ms once matplotlib is warm), but still CPU: from the bot, call it
    through `asyncio.to_thread` so the event loop keeps serving other chats.
    """
    data = chart_data(r)
    rows = max(len(data.rows), 1)
    height = HEAD_IN + STATUS_IN + GAP_IN + ROW_IN * rows + FOOT_IN
    figure = Figure(figsize=(CHART_WIDTH_IN, height), dpi=CHART_DPI)
    FigureCanvasAgg(figure)
    title = TEXTS["title"].format(
        period=r.period.label, unit=r.unit_name, submitted=number(r.submitted), expected=number(r.expected),
        rate=percent(r.reporting_rate),
    )
    figure.text(0.5, 1 - 0.08 / height, title, ha="center", va="top", fontsize=10, fontweight="bold",
                linespacing=1.3)
    status_axes = figure.add_axes(_box(height, HEAD_IN + 0.1, STATUS_IN - 0.2))
    _draw_counts(status_axes, data.counts)
    rows_top = HEAD_IN + STATUS_IN + GAP_IN
    rows_axes = figure.add_axes(_box(height, rows_top, ROW_IN * rows))
    rows_axes.set_title(_rows_title(data), fontsize=9, loc="left", pad=4)
    _draw_rows(rows_axes, data)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=CHART_DPI, pil_kwargs={"compress_level": 1})  # flat colours: still small
    return buffer.getvalue()


def _box(height: float, top_in: float, tall_in: float) -> tuple[float, float, float, float]:
    """An axes rectangle in figure fractions: `tall_in` inches starting `top_in` from the top."""
    left = LABEL_IN / CHART_WIDTH_IN
    return (left, 1 - (top_in + tall_in) / height, 1 - left - 0.1, tall_in / height)


def _bare(axes: Axes) -> None:
    """No frame, no x axis: every bar carries its own number."""
    for side in ("top", "right", "bottom"):
        axes.spines[side].set_visible(False)
    axes.xaxis.set_visible(False)
    axes.tick_params(axis="y", length=0, labelsize=9)


def _draw_counts(axes: Axes, counts: dict[ReportState, int]) -> None:
    """One bar per state with its count at the end; the colours explain the panel below."""
    rows = [{**dict.fromkeys(ReportState, 0), state: counts[state]} for state, _, _ in LEGEND]
    ends = _stacked_bars(axes, rows)
    axes.set_yticks(range(len(LEGEND)), [label for _, label, _ in LEGEND])
    axes.set_ylim(len(LEGEND) - 0.5, -0.5)
    top = max([*ends, 1])
    axes.set_xlim(0, top * 1.25)
    for position, value in enumerate(ends):
        axes.text(value + top * 0.02, position, number(value), va="center", fontsize=9)
    _bare(axes)


def _stacked_bars(axes: Axes, rows: list[dict[ReportState, int]]) -> list[int]:
    """Each row's counts as one bar, a segment per state, top to bottom; returns where each bar ends.

    One collection of rectangles per state instead of a patch per segment: the draw cost
    does not grow with the number of artists.
    """
    starts = [0] * len(rows)
    for state, _, colour in LEGEND:
        boxes = []
        for row, counts in enumerate(rows):
            width = counts[state]
            if width:
                left, top, bottom = starts[row], row - BAR_FILL / 2, row + BAR_FILL / 2
                boxes.append(((left, top), (left + width, top), (left + width, bottom), (left, bottom)))
                starts[row] += width
        axes.add_collection(PolyCollection(boxes, facecolors=colour, edgecolors="none"), autolim=False)
    return starts


def _draw_rows(axes: Axes, data: ChartData) -> None:
    if not data.rows:
        nothing_expected = not any(data.counts.values())
        axes.text(0, 0, TEXTS["empty"] if nothing_expected else TEXTS["all_on_time"], va="center", fontsize=9)
        axes.set_ylim(0.5, -0.5)
        axes.set_axis_off()
        return
    names = [_short(name) for name, _ in data.rows]
    starts = _stacked_bars(axes, [counts for _, counts in data.rows])
    axes.set_yticks(range(len(names)), names)
    axes.set_ylim(len(names) - 0.5, -0.5)
    top = max(starts)
    axes.set_xlim(0, top * (1.3 if data.by_child else 1.0))
    for position, (_, counts) in enumerate(data.rows):
        if data.by_child:
            done = counts[ReportState.ON_TIME] + counts[ReportState.LATE]
            axes.text(starts[position] + top * 0.02, position, f"{done}/{starts[position]}", va="center",
                      fontsize=8)
        else:
            state = next(state for state, count in counts.items() if count)
            axes.text(top * 0.04, position, LABELS[state], va="center", fontsize=8,
                      color="black" if state in (ReportState.LATE, ReportState.DRAFT) else "white")
    _bare(axes)


def _rows_title(data: ChartData) -> str:
    shown = len(data.rows)
    if data.by_child:
        if shown < data.count:
            return TEXTS["worst_children"].format(shown=shown, count=data.count)
        return TEXTS["by_child"]
    if shown < data.count:
        return TEXTS["attention_some"].format(shown=shown, count=data.count)
    return TEXTS["attention"].format(count=data.count)


def _short(name: str) -> str:
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1].rstrip() + "…"


def poll_chart_data(question: str, options: list[str], counts: list[int]) -> list[tuple[str, int]]:
    """What the poll chart draws: one bar per option, in the poll's order."""
    return list(zip(options, counts, strict=True))


def poll_chart(question: str, options: list[str], counts: list[int]) -> bytes:
    """A PNG bar chart of a poll's results: votes per option, with counts and shares."""
    data = poll_chart_data(question, options, counts)
    total = sum(counts)
    figure = Figure(figsize=(WIDTH_IN, max(MIN_HEIGHT_IN, 1.2 + 0.6 * len(data))), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    figure.suptitle(f"{question}\n{number(total)} lượt trả lời", fontsize=12)
    labels = [label for label, _ in data][::-1]
    values = [value for _, value in data][::-1]
    bars = axes.barh(labels, values, color="#1565c0")
    for bar, value in zip(bars, values, strict=True):
        share = percent(value / total) if total else "0%"
        axes.annotate(f"{number(value)} ({share})", (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                      xytext=(4, 0), textcoords="offset points", va="center")
    axes.set_xlim(0, max([*values, 1]) * 1.25)
    axes.set_xlabel("Số lượt trả lời")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
