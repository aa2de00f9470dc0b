"""Reviewing reports up the tree: the admin above accepts a submission or returns it with a reason.

The buttons arrive on the reviewer's notice as actions (`rv:ok:<id>`, `rv:back:<id>`, read by
`bot.core.buttons`), which work whatever the reviewer is doing at that moment.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.core.errors import UserFacingError
from bot.core.messages import Choice, Outgoing
from bot.core.periods import Period
from bot.services.reporting import reports
from handlers import report_texts as t
from handlers import settled
from handlers.answers import Text
from handlers.deadlines import open_report_choice
from handlers.flow import Context, Flow, FlowEngine, Step
from handlers.todo_texts import SETTLED
from storage.models import Report, ReportStatus

REASON_MAX = 500


async def _report(ctx: Context, report_id: int) -> Report:
    report = await reports.find_report(ctx.session, report_id)
    if report is None:
        raise UserFacingError("report_gone")
    if not reports.can_review(ctx.actor, report.unit):
        raise UserFacingError("not_allowed")
    return report


async def _tell_officers(ctx: Context, report: Report, text: str, choices: tuple[Choice, ...] = ()) -> None:
    for identity in await reports.officers_of(ctx.session, report.unit):
        ctx.notices.append(Outgoing(text, choices=choices, chat_id=identity.chat_id, platform=identity.platform))


def already_reviewed(report: Report) -> bool:
    """Someone reviewed it since the notice went out (and it was not sent again)."""
    return report.status != ReportStatus.SUBMITTED and report.reviewed_at is not None


async def reviewed_note(ctx: Context, report: Report) -> list[Outgoing]:
    verb = "accepted" if report.status == ReportStatus.ACCEPTED else "returned"
    return await settled.note(ctx, "report", verb, report.reviewed_by, report.reviewed_at)


async def _settle_copies(ctx: Context, report: Report, names: dict[str, str], verb: str) -> None:
    await settled.update_copies(ctx, ("report", report.id), SETTLED["report"].format(**names), verb)


async def accept_action(ctx: Context, engine: FlowEngine, report_id: int) -> list[Outgoing]:
    report = await _report(ctx, report_id)
    if already_reviewed(report):
        return await reviewed_note(ctx, report)
    await reports.review(ctx.session, report, ctx.actor, accept=True, reason=None, now=ctx.now)
    names = {"label": Period.parse(report.period_key).label, "unit": report.unit.name}
    await _tell_officers(ctx, report, t.REVIEW["to_officers_accepted"].format(**names))
    await _settle_copies(ctx, report, names, "accepted")
    return [Outgoing(t.REVIEW["accepted"].format(**names))]


async def return_action(ctx: Context, engine: FlowEngine, report_id: int) -> list[Outgoing]:
    """Ask for the reason first; the report is returned when the reason is given."""
    report = await _report(ctx, report_id)
    if already_reviewed(report):
        return await reviewed_note(ctx, report)
    if report.status != ReportStatus.SUBMITTED:
        raise UserFacingError("report_not_submitted")
    names = {"label": Period.parse(report.period_key).label, "unit": report.unit.name}
    return await engine.start(ctx, RETURN.name, {"report_id": report.id, **names})


async def return_report(ctx: Context, report_id: int, reason: str) -> list[Outgoing]:
    """Return a submitted report with a reason: the officers get the reason and a button (a number
    on Zalo) that opens this very report; the other reviewers' copies say it was returned. The
    chat's flow ends here, and so does the web console's "Trả lại"."""
    report = await _report(ctx, report_id)
    if already_reviewed(report):  # another admin reviewed it while this one typed the reason
        return await reviewed_note(ctx, report)
    await reports.review(ctx.session, report, ctx.actor, accept=False, reason=reason, now=ctx.now)
    label = Period.parse(report.period_key).label
    names = {"label": label, "unit": report.unit.name}
    fix = open_report_choice(report.period_key, label, t.REVIEW["fix_button"])
    text = t.REVIEW["to_officers_returned"].format(reason=reason, **names)
    await _tell_officers(ctx, report, text, (fix,))
    await _settle_copies(ctx, report, names, "returned")
    return [Outgoing(t.REVIEW["returned"].format(**names))]


async def return_with_reason(ctx: Context, engine: FlowEngine, report_id: int, reason: str) -> list[Outgoing]:
    """The web console's "Trả lại": the reason is checked as the chat's step checks it."""
    checked = await REASON.parse(replace(ctx.incoming, text=reason), {}, ctx)
    return await return_report(ctx, report_id, checked)


async def _finish_return(ctx: Context, answers: dict[str, Any]) -> list[Outgoing]:
    return await return_report(ctx, answers["report_id"], answers["reason"])


REASON = Text(maximum=REASON_MAX, minimum=3)
RETURN = Flow(
    name="review_return",
    steps=(
        Step("reason", lambda ctx, a: t.REVIEW["ask_reason"].format(label=a["label"], unit=a["unit"]),
             REASON),
    ),
    finish=_finish_return,
)

ACCEPT_BUTTON, RETURN_BUTTON = "rv:ok", "rv:back"
ACTIONS = {ACCEPT_BUTTON: accept_action, RETURN_BUTTON: return_action}
