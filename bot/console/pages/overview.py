"""Tổng quan: the first page after signing in, the period at a glance for the admin's subtree.

The figures are the chat's: the roll-up of `/tiendo` (rates, counts, totals), the report states
and their words as `/xuat`'s Excel file writes them, `/duluan`'s counting of what was heard.
Filters, sorting and pages are query parameters, so every view is a link and works without
JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.console.shared import charts, views
from bot.core.forms import current_form
from bot.core.periods import ROMAN, Period, PeriodKind
from bot.services.listening.feedback import load_config as feedback_config
from bot.services.listening.sentiment import heard_counts, open_issues
from bot.services.people.people import Actor
from bot.services.reporting.export import STATE_LABELS
from bot.services.reporting.rollup import (
    ReportState,
    Sort,
    percent,
    rollup_and_statuses,
    trend,
)
from handlers.progress import admin_home, recent_periods
from handlers.rollup_text import total_labels
from storage.models import Unit

PAGE = "overview"
PER_PAGE = 50
TREND_LENGTH = 6
HEARD_DAYS = 7  # "this week": the last seven days, as the province's weekly digest counts them
STATE_TONES = {
    ReportState.ON_TIME: "ok", ReportState.LATE: "warn", ReportState.RETURNED: "bad",
    ReportState.DRAFT: "info", ReportState.MISSING: "bad",
}
TONE_COLOURS = {"positive": "ok", "neutral": "muted", "negative": "bad", "unknown": "muted"}
# The order the counts are listed in: what was sent first, then what needs a reminder.
STATE_ORDER = (ReportState.ON_TIME, ReportState.LATE, ReportState.RETURNED, ReportState.DRAFT,
               ReportState.MISSING)


def home_unit(actor: Actor) -> Unit:
    """The unit the signed-in admin follows (the chat's /tiendo and /xuat look at the same)."""
    unit = admin_home(actor)
    if unit is None:
        raise web.HTTPForbidden()
    return unit


def chosen_period(request: web.Request) -> tuple[Period, list[Period]]:
    """The period asked for (`?ky=2026-10`), or the current month; and the periods to offer:
    the ones /tiendo offers (this and last month, quarter, half-year, this year)."""
    deps = views.deps_of(request)
    offered = recent_periods(deps.clock(), deps.tz_name)
    try:
        period = Period.parse(request.query.get("ky", ""))
    except ValueError:
        period = offered[0]
    if period not in offered:
        offered = [period, *offered]
    return period, offered


def short_label(period: Period) -> str:
    """A period under a column of a chart, short enough for six of them on a phone."""
    if period.kind == PeriodKind.MONTH:
        return f"T{period.index}/{period.year}"
    if period.kind == PeriodKind.QUARTER:
        return f"Q.{ROMAN[period.index]}/{period.year}"
    if period.kind == PeriodKind.HALF:
        return f"{'Đầu' if period.index == 1 else 'Cuối'} {period.year}"
    return str(period.year)


def _filters(request: web.Request) -> dict[str, Any]:
    query = request.query
    state = query.get("trang_thai", "")
    sort = query.get("sap_xep", Sort.NAME)
    try:
        page = int(query.get("trang", "1"))
    except ValueError:
        page = 1
    return {
        "state": ReportState(state) if state in ReportState.__members__.values() else None,
        "area": query.get("huyen", "").strip() or None,
        "search": query.get("q", "").strip()[:100],
        "sort": Sort(sort) if sort in Sort.__members__.values() else Sort.NAME,
        "descending": query.get("giam") == "1",
        "page": page,
    }


def link_maker(request: web.Request) -> Callable[..., str]:
    """`link(trang=2)`: this page's address with some parameters changed (empty ones dropped);
    a change of filter or order starts again at the first page."""
    current = dict(request.query)

    def link(**changes: Any) -> str:
        merged = {**current, **{key: str(value) for key, value in changes.items()}}
        if "trang" not in changes:
            merged.pop("trang", None)
        kept = {key: value for key, value in merged.items() if value not in ("", "None")}
        return f"{request.path}?{urlencode(kept)}" if kept else request.path

    return link


async def show(request: web.Request) -> web.Response:
    deps, actor = views.deps_of(request), views.actor_of(request)
    unit = home_unit(actor)
    period, offered = chosen_period(request)
    filters = _filters(request)
    now: datetime = deps.clock()
    periods = [period]
    while len(periods) < TREND_LENGTH:
        periods.insert(0, periods[0].previous())
    async with deps.session_factory() as session:
        summary, table = await rollup_and_statuses(session, unit, period, per_page=PER_PAGE, **filters)
        history = await trend(session, unit, periods)
        issue_count, issues = await open_issues(session, unit)
        heard = await heard_counts(session, unit, now - timedelta(days=HEARD_DAYS), now)
    config = feedback_config()
    room = max([*heard.by_category.values(), *heard.by_tone.values(), 1]) * 1.15  # the longest bar leaves room for its number
    category_bars = charts.hbars([
        (config.category_label(category), count, "info") for category, count in heard.by_category.most_common()
    ], maximum=room)
    tone_bars = charts.hbars([
        (config.tone_label(tone) if tone != "unknown" else "Không rõ", heard.by_tone[tone], TONE_COLOURS.get(tone, "info"))
        for tone in [*(choice.value for choice in config.tones), "unknown"] if heard.by_tone[tone]
    ], maximum=room)
    return await views.render(request, "overview.html", {
        "title": "Tổng quan",
        "unit": unit, "period": period, "periods": offered, "summary": summary,
        "rates": {"reporting": percent(summary.reporting_rate), "on_time": percent(summary.on_time_rate)},
        "states": STATE_ORDER, "state_labels": STATE_LABELS, "state_tones": STATE_TONES,
        "totals": [(label, summary.totals.get(key, 0)) for key, label in total_labels(summary.totals, current_form())],
        "table": table, "filters": filters, "link": link_maker(request), "sorts": Sort,
        "area_names": {area.code: area.name for area in table.areas},
        "trend": charts.columns([(short_label(p), tally.reporting_rate * 100) for p, tally in history]),
        "trend_rows": [(p, tally, percent(tally.reporting_rate), percent(tally.on_time_rate)) for p, tally in history],
        "issue_count": issue_count, "issues": issues, "categories": {c.value: c.label for c in config.categories},
        "heard": heard, "heard_days": HEARD_DAYS, "category_bars": category_bars, "tone_bars": tone_bars,
    }, page=PAGE)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", show)
