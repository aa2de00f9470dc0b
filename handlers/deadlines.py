"""/hannop (/deadlines): what a unit owes and by when; for an admin, the whole subtree.

Each report the person's unit still owes comes with a button (a numbered option on Zalo) that
opens it, the same `/baocao <period>` the reminders' button runs: seeing a deadline and acting
on it are one step.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.buttons import command_button
from bot.core.formatting import local_time
from bot.core.messages import Choice, Outgoing
from bot.core.periods import Level
from bot.services.people.people import ADMIN_ROLES
from bot.services.reporting import reports
from bot.services.reporting.rollup import rollup
from handlers import report_texts as t
from handlers.flow import Context, FlowEngine
from handlers.reminders import REPORT_COMMAND
from storage.models import ReportStatus

D = t.DEADLINES
# A report in one of these states (None: not begun) is still owed.
OWED = (None, ReportStatus.DRAFT, ReportStatus.RETURNED)


def due_words(ctx: Context, deadline: datetime) -> str:
    """"còn 3 ngày", "hạn hôm nay" or "quá hạn 2 ngày", in local calendar days."""
    days = ctx.config.schedule.days_left(deadline, ctx.now)
    if days > 0:
        return t.DUE["left"].format(days=days)
    if days == 0:
        return t.DUE["today"]
    return t.DUE["overdue"].format(days=-days)


def open_report_choice(period_key: str, label: str, words: str = D["open_button"]) -> Choice:
    """A button that opens the unit's report for this period, as `/baocao <period>` does."""
    return Choice(command_button(f"{REPORT_COMMAND} {period_key}"), words.format(label=label))


async def deadlines_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    blocks: list[str] = []
    choices: list[Choice] = []
    for number, unit in enumerate(reports.filing_units(ctx.actor)):
        block, owed = await _own_unit_block(ctx, unit)
        blocks.append(block)
        if number == 0:  # /baocao opens the first unit's report: buttons for that unit only
            choices = owed
    admin_units = ctx.actor.units_with(*ADMIN_ROLES)
    if admin_units:
        blocks.append(await _subtree_block(ctx, min(admin_units, key=lambda u: u.level)))
    return [Outgoing("\n\n".join(blocks), choices=choices)]


async def _own_unit_block(ctx: Context, unit) -> tuple[str, list[Choice]]:
    """The unit's open periods, one line each, and a button for each report it still owes."""
    level = await reports.unit_level(ctx.session, unit)
    lines = [D["title_unit"].format(unit=unit.name)]
    owed: list[Choice] = []
    for open_period in ctx.config.schedule.open_periods(level, ctx.now):
        report = await reports.find(ctx.session, unit, open_period.period)
        status = report.status if report is not None else None
        state = D["states"][status]
        if status in OWED:
            state += D["due"].format(due=due_words(ctx, open_period.deadline))
            owed.append(open_report_choice(open_period.period.key, open_period.period.label))
        lines.append(
            D["line_unit"].format(
                label=open_period.period.label,
                deadline=local_time(open_period.deadline, ctx.config.tz_name),
                state=state,
            )
        )
    return ("\n".join(lines) if len(lines) > 1 else f"{lines[0]}\n{D['none']}"), owed


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
