"""/hannop (/deadlines): what a unit owes and by when; for an admin, the whole subtree."""

from __future__ import annotations

from bot.core.formatting import local_time
from bot.core.messages import Outgoing
from bot.core.periods import Level
from bot.services.people.people import ADMIN_ROLES
from bot.services.reporting import reports
from bot.services.reporting.rollup import rollup
from handlers import report_texts as t
from handlers.flow import Context, FlowEngine

D = t.DEADLINES


async def deadlines_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    blocks = [await _own_unit_block(ctx, unit) for unit in reports.filing_units(ctx.actor)]
    admin_units = ctx.actor.units_with(*ADMIN_ROLES)
    if admin_units:
        blocks.append(await _subtree_block(ctx, min(admin_units, key=lambda u: u.level)))
    return [Outgoing("\n\n".join(blocks))]


async def _own_unit_block(ctx: Context, unit) -> str:
    level = await reports.unit_level(ctx.session, unit)
    lines = [D["title_unit"].format(unit=unit.name)]
    for open_period in ctx.config.schedule.open_periods(level, ctx.now):
        report = await reports.find(ctx.session, unit, open_period.period)
        status = report.status if report is not None else None
        state = D["states"][status]
        if status in (None, "draft", "returned") and open_period.is_late(ctx.now):
            state += D["overdue"]
        lines.append(
            D["line_unit"].format(
                label=open_period.period.label,
                deadline=local_time(open_period.deadline, ctx.config.tz_name),
                state=state,
            )
        )
    return "\n".join(lines) if len(lines) > 1 else f"{lines[0]}\n{D['none']}"


async def _subtree_block(ctx: Context, unit) -> str:
    lines = [D["title_admin"].format(unit=unit.name)]
    for open_period in ctx.config.schedule.open_periods(Level.COMMUNE, ctx.now):
        result = await rollup(ctx.session, unit, open_period.period)
        lines.append(
            D["line_admin"].format(
                label=open_period.period.label,
                deadline=local_time(open_period.deadline, ctx.config.tz_name),
                submitted=result.submitted,
                expected=result.expected,
                missing=result.expected - result.submitted,
            )
        )
    return "\n".join(lines) if len(lines) > 1 else f"{lines[0]}\n{D['none']}"
