"""/tiendo (/progress) and /xuat (/export): what the province (or a unit admin) sees of reports.

Both show the admin's own unit: a province admin the whole province, a unit admin its subtree.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.errors import UserFacingError
from bot.core.messages import Choice, Outgoing, Photo
from bot.core.periods import Period, PeriodKind
from bot.services.people.people import ADMIN_ROLES, Actor
from bot.services.people.units import unit_by_id
from bot.services.reporting.charts import rollup_chart
from bot.services.reporting.export import workbook
from bot.services.reporting.rollup import rollup
from handlers import report_texts as t
from handlers.answers import OneOf
from handlers.flow import Context, Flow, FlowEngine, Step
from handlers.rollup_text import format_rollup
from storage.models import Unit


def recent_periods(moment: datetime, tz_name: str) -> list[Period]:
    """The periods an admin most likely wants: this and last month, quarter, half-year, year."""
    today = moment.astimezone(ZoneInfo(tz_name)).date()
    found: list[Period] = []
    for kind in PeriodKind:
        current = Period.containing(kind, today)
        found += [current, current.previous()] if kind != PeriodKind.YEAR else [current]
    return found


def admin_home(actor: Actor) -> Unit | None:
    """The unit whose subtree an admin follows: the highest one they administer (the chat's
    /tiendo and /xuat, and the web console's overview and export)."""
    units = actor.units_with(*ADMIN_ROLES)
    return min(units, key=lambda u: u.level) if units else None


def _admin_unit(ctx: Context) -> Unit:
    unit = admin_home(ctx.actor)
    if unit is None:
        raise UserFacingError("not_admin")
    return unit


def _period_choices(answers: dict[str, Any]) -> list[Choice]:
    return [Choice(key, Period.parse(key).label) for key in answers["_periods"]]


async def _unit(ctx: Context, answers: dict[str, Any]) -> Unit:
    return await unit_by_id(ctx.session, answers["_unit_id"])


async def show_progress(ctx: Context, unit: Unit, period: Period) -> list[Outgoing]:
    result = await rollup(ctx.session, unit, period)
    text = format_rollup(result, ctx.config.tz_name)
    if result.expected == 0:
        return [Outgoing(text)]
    caption = t.PROGRESS["chart_caption"].format(label=period.label, unit=unit.name)
    chart = await asyncio.to_thread(rollup_chart, result)  # drawing takes a while: off the event loop
    return [Outgoing(text), Outgoing(caption, photo=Photo(chart, "tien-do.png"))]


async def send_export(ctx: Context, unit: Unit, period: Period) -> list[Outgoing]:
    document, rows = await workbook(ctx.session, unit, period, ctx.config.tz_name)
    caption = t.PROGRESS["export_caption"].format(label=period.label, unit=unit.name, rows=rows)
    return [Outgoing(caption, document=document)]


async def _finish_progress(ctx: Context, answers: dict[str, Any]) -> list[Outgoing]:
    return await show_progress(ctx, await _unit(ctx, answers), Period.parse(answers["period"]))


async def _finish_export(ctx: Context, answers: dict[str, Any]) -> list[Outgoing]:
    return await send_export(ctx, await _unit(ctx, answers), Period.parse(answers["period"]))


PROGRESS = Flow(
    "progress", (Step("period", t.PROGRESS["ask_period"], OneOf(_period_choices)),), _finish_progress
)
EXPORT = Flow(
    "export", (Step("period", t.PROGRESS["ask_export_period"], OneOf(_period_choices)),), _finish_export
)


async def _start(ctx: Context, engine: FlowEngine, flow: Flow, direct) -> list[Outgoing]:
    """`/tiendo 2026-10` answers at once; `/tiendo` offers the recent periods as buttons."""
    unit = _admin_unit(ctx)
    if ctx.incoming.args:
        try:
            period = Period.parse(ctx.incoming.args[0])
        except ValueError:
            raise UserFacingError("bad_period", text=ctx.incoming.args[0][:20]) from None
        return await direct(ctx, unit, period)
    periods = [p.key for p in recent_periods(ctx.now, ctx.config.tz_name)]
    return await engine.start(ctx, flow.name, {"_unit_id": unit.id, "_periods": periods})


async def progress_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    return await _start(ctx, engine, PROGRESS, show_progress)


async def export_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    return await _start(ctx, engine, EXPORT, send_export)
