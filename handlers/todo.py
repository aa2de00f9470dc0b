"""/viec (việc cần làm): what waits for this person, numbered, each opened with its options.

A notice that needs action can arrive while the person is answering something else; on Zalo
it then does not take over the numbers of the open question (see `ZaloSender.send`). The
to-do list is where every such notice can be reached again: reports waiting for their review,
content waiting for their approval, urgent issues in their scope that nobody acknowledged (or
that they acknowledged and have not resolved), and named feedback nobody answered nor turned
into an urgent issue. Choosing an item opens it with the
same options its notice had; the actions check the item's state again, so an item someone
else settled meanwhile answers with a note of who did what and when.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.buttons import command_button
from bot.core.messages import Choice, Outgoing
from bot.core.numbers import typed_id
from bot.core.periods import Period
from bot.services.listening import feedback as listening
from bot.services.people import units
from bot.services.reporting import reports
from broadcasts import approval
from broadcasts.text import html_to_text
from handlers import feedback, post, review
from handlers.flow import Context, FlowEngine
from handlers.report import review_choices, review_text
from handlers.todo_texts import TODO
from storage.models import BroadcastStatus

COMMAND = "viec"


@dataclass(frozen=True)
class Item:
    kind: str  # report | broadcast | issue | feedback
    id: int
    label: str


async def todo_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    """/viec lists; `/viec <kind> <id>` (what choosing an item sends) opens one."""
    if len(ctx.incoming.args) == 2:
        return await _open(ctx, ctx.incoming.args[0], typed_id(ctx.incoming.args[1]))
    items = await waiting_items(ctx)
    if not items:
        return [Outgoing(TODO["empty"])]
    text = TODO["title"].format(count=len(items))
    choices = tuple(Choice(command_button(f"{COMMAND} {item.kind} {item.id}"), item.label) for item in items)
    return [Outgoing(text, choices=choices)]


async def waiting_items(ctx: Context) -> list[Item]:
    """Everything that waits for this person, in a fixed order: reports, content, issues, feedback."""
    items = [
        Item("report", r.id, TODO["report"].format(label=Period.parse(r.period_key).label, unit=r.unit.name))
        for r in await reports.waiting_for_review(ctx.session, ctx.actor)
    ]
    items += [Item("broadcast", b.id, TODO["broadcast"].format(id=b.id)) for b in await _content_waiting(ctx)]
    items += [
        Item("issue", i.id, TODO["issue"].format(reference=i.reference, unit=i.unit.name))
        for i in await listening.issues_waiting(ctx.session, ctx.actor)
    ]
    items += [
        Item("feedback", f.id, TODO["feedback"].format(reference=f.reference, unit=unit.name))
        for f, unit in await listening.named_feedback_waiting(ctx.session, ctx.actor)
    ]
    return items


async def _content_waiting(ctx: Context) -> list:
    waiting = await approval.awaiting_approval(ctx.session, ctx.actor, limit=20,
                                               allow_self_approval=ctx.config.allow_self_approval)
    return [item.broadcast for item in waiting]


async def _open(ctx: Context, kind: str, item_id: int | None) -> list[Outgoing]:
    opener = _OPENERS.get(kind)
    if opener is None or item_id is None:
        return [Outgoing(TODO["gone"])]
    return await opener(ctx, item_id)


async def _open_report(ctx: Context, report_id: int) -> list[Outgoing]:
    report = await reports.find_report(ctx.session, report_id)
    if report is None or not reports.can_review(ctx.actor, report.unit):
        return [Outgoing(TODO["gone"])]
    if review.already_reviewed(report):
        return await review.reviewed_note(ctx, report)
    if report.status != "submitted":
        return [Outgoing(TODO["gone"])]
    return [Outgoing(review_text(report, Period.parse(report.period_key)), choices=review_choices(report.id))]


async def _open_broadcast(ctx: Context, broadcast_id: int) -> list[Outgoing]:
    if not approval.is_province_admin(ctx.actor):
        return [Outgoing(TODO["gone"])]
    broadcast = await approval.get(ctx.session, broadcast_id)
    if (decided := await post.decided_note(ctx, broadcast_id)) is not None:
        return decided
    if broadcast.status != BroadcastStatus.PENDING_APPROVAL:
        return [Outgoing(TODO["gone"])]
    text = html_to_text(broadcast.text) if broadcast.html else broadcast.text
    return [Outgoing(TODO["open_broadcast"].format(id=broadcast.id, text=text),
                     choices=post.approval_choices(broadcast.id))]


async def _open_issue(ctx: Context, issue_id: int) -> list[Outgoing]:
    issue = await listening.issue_by_id(ctx.session, issue_id)
    if issue is None or not listening.can_handle(ctx.actor, issue):
        return [Outgoing(TODO["gone"])]
    mine = issue.acknowledged_by == ctx.actor.person_id
    wanted = listening.RESOLVED if mine else listening.ACKNOWLEDGED
    if (handled := await feedback.handled_note(ctx, issue, wanted)) is not None:
        return handled
    status = TODO["issue_status"].get(issue.status, "")
    text = TODO["open_issue"].format(reference=issue.reference, unit=issue.unit.name, status=status, text=issue.text)
    return [Outgoing(text, choices=feedback.issue_choices(issue))]


async def _open_feedback(ctx: Context, feedback_id: int) -> list[Outgoing]:
    item = await listening.feedback_by_id(ctx.session, feedback_id)
    if item is None or not ctx.actor.units_with(*feedback.ADMIN_ROLES):
        return [Outgoing(TODO["gone"])]
    unit = await units.unit_by_id(ctx.session, item.unit_id)
    text = TODO["open_feedback"].format(reference=item.reference, unit=unit.name, text=item.text)
    return [Outgoing(text, choices=feedback.feedback_choices(item))]


_OPENERS = {"report": _open_report, "broadcast": _open_broadcast, "issue": _open_issue, "feedback": _open_feedback}
