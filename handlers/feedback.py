"""/phananh (feedback), /ghinhan (observations), /khancap (urgent issues), /duluan (summary).

Feedback is open to anyone, registered or not, with consent first and an anonymous option
that leaves no trace of the sender (the conversation itself is deleted when it ends).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.core.buttons import button_data
from bot.core.errors import UserFacingError
from bot.core.formatting import local_time
from bot.core.forms import Question
from bot.core.messages import Choice, Outgoing
from bot.core.periods import Period, PeriodKind
from bot.services import audit
from bot.services.listening import feedback as service
from bot.services.listening import inbox
from bot.services.listening.sentiment import summarize
from bot.services.people import people, units
from bot.services.people.people import ADMIN_ROLES
from bot.services.people.reachable import Reachable, account_of
from bot.services.reporting import reports
from bot.services.reporting.reports import admins_for
from handlers import feedback_texts as t
from handlers import settled
from handlers.answers import Number, OneOf, Text
from handlers.flow import Context, Flow, FlowEngine, Step
from handlers.questions import SKIP, QuestionAnswer
from handlers.texts import ERRORS
from handlers.todo_texts import SETTLED
from handlers.unit_answer import UNIT_PREFIX, UnitAnswer
from storage.models import Feedback, Role, Unit, UrgentIssue

CONFIG = service.load_config()
NAMED, ANONYMOUS, NO = "named", "anonymous", "no"
# Actions of the buttons on feedback notices and urgent alerts (data: `<prefix>:<id>`).
TO_URGENT, ACK, REPLY_BUTTON, RESOLVE = "fb:urgent", "ui:ack", "ui:reply", "ui:done"
# Answering named feedback (an admin) and looking it up (its sender).
ANSWER_BUTTON, VIEW = "fb:answer", "fb:view"
PHOTOS = Question(key="photos", type="photos", prompt="", label="", optional=True, max_items=CONFIG.max_photos)
TONE_CHOICES = (*CONFIG.tones, Choice(SKIP, "Bỏ qua"))


@dataclass(frozen=True)
class FeedbackDeps:
    """What the root hands the feedback handlers: the per-sender limit (counted in the database).

    The limit is the listening feature's rule, not a setting of the flow engine, so it does not
    ride in `HandlerConfig`; the registry builds the feedback flow and command around it.
    """

    limit: service.SenderLimit

    @classmethod
    def from_config(cls) -> FeedbackDeps:
        return cls(service.SenderLimit(CONFIG.per_person_per_hour))


def sender_key(ctx: Context) -> str:
    return f"{ctx.incoming.platform}:{ctx.incoming.user_id}"


def _mode_choices(answers: dict[str, Any]) -> list[Choice]:
    choices = [Choice(ANONYMOUS, t.FEEDBACK["anonymous"]), Choice(NO, t.FEEDBACK["no"])]
    if answers.get("_registered"):
        choices.insert(0, Choice(NAMED, t.FEEDBACK["named"]))
    return choices


def _mode_prompt(ctx: Context, answers: dict[str, Any]) -> str:
    note = "" if answers.get("_registered") else "\n\n" + t.FEEDBACK["anonymous_only"]
    return t.FEEDBACK["consent"] + note


async def _roots(ctx: Context, answers: dict[str, Any]) -> list[Unit]:
    return await units.roots(ctx.session)


def _sending(answers: dict[str, Any]) -> bool:
    return answers.get("mode") in (NAMED, ANONYMOUS)


async def _finish_feedback(ctx: Context, answers: dict[str, Any], limit: service.SenderLimit) -> list[Outgoing]:
    if not _sending(answers):
        return [Outgoing(t.FEEDBACK["declined"])]
    if not await limit.allow(ctx.session, sender_key(ctx), ctx.now):
        return [Outgoing(_rate_message())]
    code = answers.get("_unit") or answers["place"]
    unit = await units.unit_by_code(ctx.session, code)
    anonymous = answers["mode"] == ANONYMOUS
    tone = answers.get("tone")
    item = await service.submit_feedback(
        ctx.session, unit=unit, category=answers["category"], tone=None if tone == SKIP else tone,
        text=answers["text"], photos=answers.get("q:photos") or [],
        person_id=None if anonymous else ctx.actor.person.id, now=ctx.now,
    )
    await _tell_admins(ctx, item, unit)
    place = await _place_name(ctx, unit)
    if anonymous:
        return [Outgoing(t.FEEDBACK["thanks_anonymous"].format(reference=item.reference, place=place))]
    view = (Choice(button_data(VIEW, item.id), t.FEEDBACK["view"]),)
    thanks = t.FEEDBACK["thanks"].format(reference=item.reference, place=place, view=t.FEEDBACK["view"])
    return [Outgoing(thanks, choices=view)]


async def _place_name(ctx: Context, unit: Unit) -> str:
    """The place as the sender can check it: a commune with its district when it has one, since a
    typed "cai" or a code may have matched a commune of the same name somewhere else."""
    if unit.parent_id is None:
        return unit.name
    parent = await units.unit_by_id(ctx.session, unit.parent_id)
    if parent.parent_id is None:  # a commune right under the province (or a district): its name says it
        return unit.name
    return f"{unit.name}, {parent.name[:1].lower()}{parent.name[1:]}"


async def _text_prompt(ctx: Context, answers: dict[str, Any]) -> str:
    """After the place step, the question names the place that was recorded, so a wrong match shows."""
    ask = t.FEEDBACK["ask_text"].format(maximum=CONFIG.text_max_length)
    code = answers.get("place")
    unit = await units.get_unit_by_code(ctx.session, code) if code else None
    if unit is None:
        return ask
    return t.FEEDBACK["place_chosen"].format(place=await _place_name(ctx, unit)) + "\n\n" + ask


def _rate_message() -> str:
    return ERRORS["feedback_rate"].format(count=CONFIG.per_person_per_hour)


def _sender_line(ctx: Context, item: Feedback, unit: Unit) -> str:
    """Who wrote: the name they typed and where they belong; citizens have no name stored."""
    if item.person_id is None or ctx.actor.person is None:
        return t.FEEDBACK["sender_anonymous"]
    home = people.home_unit(ctx.actor.roles) or unit
    name = ctx.actor.person.full_name or t.FEEDBACK["citizen_no_name"]
    return t.FEEDBACK["sender_named"].format(name=name, unit=home.name)


async def _tell_admins(ctx: Context, item: Feedback, unit: Unit) -> None:
    text = t.FEEDBACK["notice"].format(
        reference=item.reference, unit=unit.name, category=CONFIG.category_label(item.category),
        tone=CONFIG.tone_label(item.tone), text=item.text, sender=_sender_line(ctx, item, unit),
    )
    buttons = feedback_choices(item)
    for identity in await admins_for(ctx.session, unit):
        ctx.notices.append(Outgoing(text, choices=buttons, chat_id=identity.chat_id, platform=identity.platform,
                                    about=("feedback", item.id)))


def feedback_choices(item: Feedback) -> tuple[Choice, ...]:
    """Turn into an urgent issue; named feedback can also be answered (anonymous has no one to answer)."""
    buttons = (Choice(button_data(TO_URGENT, item.id), t.FEEDBACK["to_urgent"]),)
    if item.person_id is not None:
        buttons = (Choice(button_data(ANSWER_BUTTON, item.id), t.FEEDBACK["answer"]), *buttons)
    return buttons


FEEDBACK_FLOW = "feedback"


def feedback_flow(deps: FeedbackDeps) -> Flow:
    """The /phananh flow; its last step counts against the sender's hourly limit."""

    async def finish(ctx: Context, answers: dict[str, Any]) -> list[Outgoing]:
        return await _finish_feedback(ctx, answers, deps.limit)

    return Flow(
        name=FEEDBACK_FLOW,
        steps=(
            Step("mode", _mode_prompt, OneOf(_mode_choices)),
            Step("category", t.FEEDBACK["ask_category"], OneOf(CONFIG.categories), when=_sending),
            Step("place", _place_prompt, UnitAnswer(_roots, offered=_home_offered),
                 when=lambda a: _sending(a) and not a.get("_unit")),
            Step("text", _text_prompt, Text(maximum=CONFIG.text_max_length, minimum=3), when=_sending),
            Step("q:photos", t.FEEDBACK["ask_photo"].format(maximum=CONFIG.max_photos), QuestionAnswer(PHOTOS),
                 when=_sending),
            Step("tone", t.FEEDBACK["ask_tone"], OneOf(TONE_CHOICES), when=_sending),
        ),
        finish=finish,
        ephemeral=True,
    )


def _first_answers(ctx: Context) -> dict[str, Any]:
    """Officers and members write about their own unit; a citizen's chosen place is offered, not imposed."""
    answers: dict[str, Any] = {"_registered": ctx.actor.registered, "_unit": None, "_home": None}
    named_roles = [a for a in ctx.actor.roles if a.role != Role.CITIZEN]
    home = people.home_unit(named_roles or ctx.actor.roles)
    if home is None or home.parent_id is None:
        return answers
    if named_roles:
        answers["_unit"] = home.code
    else:
        answers["_home"] = [home.code, home.name]
    return answers


def _place_prompt(ctx: Context, answers: dict[str, Any]) -> str:
    if answers.get("_home"):
        return t.FEEDBACK["ask_place_home"].format(unit=answers["_home"][1])
    return t.FEEDBACK["ask_place"]


def _home_offered(answers: dict[str, Any]) -> list[Choice]:
    """The citizen's own commune as a button (a number on Zalo); typing another place still works."""
    home = answers.get("_home")
    return [Choice(UNIT_PREFIX + home[0], home[1])] if home else []


def feedback_command(deps: FeedbackDeps) -> Callable[[Context, FlowEngine], Awaitable[list[Outgoing]]]:
    """/phananh: refused up front when the sender has used up the hour; `/phananh PA-…` looks one up."""

    async def command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
        if ctx.incoming.args:
            return await _look_up(ctx, ctx.incoming.args[0])
        if await deps.limit.full(ctx.session, sender_key(ctx), ctx.now):
            return [Outgoing(_rate_message())]
        return await engine.start(ctx, FEEDBACK_FLOW, _first_answers(ctx))

    return command


# --------------------------------------------------------------------------- the sender looks it up

async def _look_up(ctx: Context, reference: str) -> list[Outgoing]:
    item = service.sender_view(ctx.actor, await service.feedback_by_reference(ctx.session, reference), reference)
    return [Outgoing(await _status_text(ctx, item))]


async def view_action(ctx: Context, engine: FlowEngine, feedback_id: int) -> list[Outgoing]:
    """"Xem phản ánh của tôi" under the confirmation: the same as `/phananh PA-…`."""
    item = service.sender_view(ctx.actor, await service.feedback_by_id(ctx.session, feedback_id), "")
    return [Outgoing(await _status_text(ctx, item))]


async def _status_text(ctx: Context, item: Feedback) -> str:
    unit = await units.unit_by_id(ctx.session, item.unit_id)
    tz = ctx.config.tz_name
    text = item.text if len(item.text) <= 200 else item.text[:197] + "…"
    title = t.FEEDBACK["status_title"].format(
        reference=item.reference, when=local_time(item.created_at, tz), category=CONFIG.category_label(item.category),
        unit=unit.name, text=text,
    )
    if item.answered_at is not None:
        status = t.FEEDBACK["status_answered"].format(when=local_time(item.answered_at, tz), answer=item.answer)
    elif item.status == service.ESCALATED:
        status = t.FEEDBACK["status_escalated"]
    else:
        status = t.FEEDBACK["status_received"]
    return f"{title}\n\n{status}"


# --------------------------------------------------------------------------- an admin answers

async def _answerable(ctx: Context, feedback_id: int) -> tuple[Feedback, Unit]:
    item = await service.feedback_by_id(ctx.session, feedback_id)
    if item is None:
        raise UserFacingError("not_allowed")
    unit = await units.unit_by_id(ctx.session, item.unit_id)
    service.check_answerable(ctx.actor, item, unit)
    return item, unit


async def _already_answered(ctx: Context, item: Feedback) -> Outgoing:
    who = await people.person_by_id(ctx.session, item.answered_by)
    name = who.full_name if who is not None and who.full_name else t.FEEDBACK["someone"]
    when = local_time(item.answered_at, ctx.config.tz_name) if item.answered_at else ""
    return Outgoing(t.FEEDBACK["already_answered"].format(reference=item.reference, who=name, when=when))


async def answer_action(ctx: Context, engine: FlowEngine, feedback_id: int) -> list[Outgoing]:
    """"Trả lời" on a feedback notice: a short flow, unless another admin has answered already."""
    item, _ = await _answerable(ctx, feedback_id)
    if item.answered_at is not None:
        return [await _already_answered(ctx, item)]
    text = item.text if len(item.text) <= 300 else item.text[:297] + "…"
    return await engine.start(ctx, ANSWER.name, {"_feedback_id": item.id, "_reference": item.reference, "_text": text})


async def _finish_answer(ctx: Context, answers: dict[str, Any]) -> list[Outgoing]:
    if answers.get("confirm") != "send":
        return [Outgoing(t.FEEDBACK["answer_cancelled"])]
    return await send_answer(ctx, answers["_feedback_id"], answers["text"])


async def send_answer(ctx: Context, feedback_id: int, text: str) -> list[Outgoing]:
    """An admin's answer to named feedback: stored once, audited, and sent to the sender on their
    chosen account. The end of the chat's "Trả lời" flow, and the web console's answer form."""
    item, unit = await _answerable(ctx, feedback_id)
    if not await service.answer_feedback(ctx.session, item, unit, ctx.actor, text, ctx.now):
        return [await _already_answered(ctx, item)]
    sender = await account_of(ctx.session, item.person_id)
    if sender is not None:
        text = t.FEEDBACK["to_sender"].format(
            reference=item.reference, answer=item.answer, who=_who(ctx),
            when=local_time(ctx.now, ctx.config.tz_name),
        )
        ctx.notices.append(Outgoing(text, chat_id=sender.chat_id, platform=sender.platform))
    return [Outgoing(t.FEEDBACK["answered"].format(reference=item.reference))]


ANSWER_TEXT = Text(maximum=CONFIG.text_max_length, minimum=2)  # an answer to feedback, a reply to an issue

ANSWER = Flow(
    name="feedback_answer",
    steps=(
        Step("text", lambda ctx, a: t.FEEDBACK["ask_answer"].format(reference=a["_reference"], text=a["_text"]),
             ANSWER_TEXT),
        Step("confirm", lambda ctx, a: t.FEEDBACK["ask_answer_confirm"].format(reference=a["_reference"],
                                                                              answer=a["text"]),
             OneOf((Choice("send", t.FEEDBACK["send_answer"]), Choice("no", t.FEEDBACK["no"])))),
    ),
    finish=_finish_answer,
)


# --------------------------------------------------------------------------- officers' observations

async def _finish_observation(ctx: Context, answers: dict[str, Any]) -> list[Outgoing]:
    unit = await units.unit_by_id(ctx.session, answers["_unit_id"])
    await service.record_observation(
        ctx.session, ctx.actor, unit, category=answers["category"], tone=answers["tone"],
        text=answers["text"], people_count=answers["count"], now=ctx.now,
    )
    return [Outgoing(t.OBSERVE["saved"].format(unit=unit.name))]


OBSERVE = Flow(
    name="observe",
    steps=(
        Step("category", t.OBSERVE["ask_category"], OneOf(CONFIG.categories)),
        Step("tone", t.OBSERVE["ask_tone"], OneOf(CONFIG.tones)),
        Step("text", t.OBSERVE["ask_text"].format(maximum=CONFIG.text_max_length),
             Text(maximum=CONFIG.text_max_length, minimum=3)),
        Step("count", t.OBSERVE["ask_count"], Number(0, 10_000_000)),
    ),
    finish=_finish_observation,
)


def _officer_unit(ctx: Context) -> Unit:
    units = reports.filing_units(ctx.actor)
    if not units:
        raise UserFacingError("not_officer")
    return units[0]


async def observe_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    return await engine.start(ctx, OBSERVE.name, {"_unit_id": _officer_unit(ctx).id})


# --------------------------------------------------------------------------- urgent issues

async def _finish_urgent(ctx: Context, answers: dict[str, Any]) -> list[Outgoing]:
    if answers.get("confirm") != "send":
        return [Outgoing(t.FEEDBACK["declined"])]
    return await raise_urgent(ctx, answers["_unit_id"], answers["category"], answers["text"],
                              feedback_id=answers.get("_feedback_id"))


async def raise_urgent(
    ctx: Context, unit_id: int, category: str, text: str, *, feedback_id: int | None = None
) -> list[Outgoing]:
    """Open an urgent issue and alert the province and the unit above at once; from feedback,
    the other admins' copies of its notice say so. The end of /khancap and of "Chuyển thành vụ
    việc khẩn", in the chat and in the web console."""
    if feedback_id is not None and (settled_note := await _escalated_note(ctx, feedback_id)) is not None:
        return settled_note
    unit = await units.unit_by_id(ctx.session, unit_id)
    issue = await service.raise_issue(
        ctx.session, ctx.actor, unit, category=category, text=text, now=ctx.now, feedback_id=feedback_id,
    )
    reporter = ctx.actor.person.full_name or t.URGENT["someone"]
    text = t.URGENT["alert"].format(
        reference=issue.reference, unit=unit.name, category=CONFIG.category_label(issue.category),
        reporter=reporter, text=issue.text,
    )
    for identity in await service.alert_recipients(ctx.session, unit):
        ctx.notices.append(issue_alert(identity, issue, text))
    if issue.feedback_id is not None:  # the other admins' copies of the feedback say so
        item = await service.feedback_by_id(ctx.session, issue.feedback_id)
        what = SETTLED["feedback"].format(reference=item.reference if item else "")
        await settled.update_copies(ctx, ("feedback", issue.feedback_id), what, "escalated")
    return [Outgoing(t.URGENT["raised"].format(reference=issue.reference))]


def issue_alert(admin: Reachable, issue: UrgentIssue, text: str) -> Outgoing:
    return Outgoing(text, choices=issue_choices(issue), chat_id=admin.chat_id, platform=admin.platform,
                    about=("issue", issue.id))


def issue_choices(issue: UrgentIssue) -> tuple[Choice, ...]:
    """Acknowledge, reply, resolve; once acknowledged, what is left."""
    if issue.status != service.OPEN:
        return _what_is_left(issue)
    return (
        Choice(button_data(ACK, issue.id), t.URGENT["ack"]),
        Choice(button_data(REPLY_BUTTON, issue.id), t.URGENT["reply"]),
        Choice(button_data(RESOLVE, issue.id), t.URGENT["resolve"]),
    )


def issue_realert(admin: Reachable, issue: UrgentIssue) -> Outgoing:
    """An issue nobody acknowledged in time, alerted again (the listening feature decides when)."""
    text = t.URGENT["realert"].format(
        count=issue.alerts + 1, reference=issue.reference, unit=issue.unit.name, text=issue.text
    )
    return issue_alert(admin, issue, text)


URGENT = Flow(
    name="urgent",
    steps=(
        Step("category", t.URGENT["ask_category"], OneOf(CONFIG.categories), when=lambda a: "category" not in a),
        Step("text", t.URGENT["ask_text"].format(maximum=CONFIG.text_max_length),
             Text(maximum=CONFIG.text_max_length, minimum=5), when=lambda a: "text" not in a),
        Step("confirm", t.URGENT["ask_confirm"],
             OneOf((Choice("send", t.URGENT["send"]), Choice("no", t.FEEDBACK["no"])))),
    ),
    finish=_finish_urgent,
)


async def urgent_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    return await engine.start(ctx, URGENT.name, {"_unit_id": _officer_unit(ctx).id})


async def urgent_from_feedback(ctx: Context, engine: FlowEngine, feedback_id: int) -> list[Outgoing]:
    """An admin turns a piece of feedback into an urgent issue (its text and place carried over),
    after confirming in the chat."""
    answers = await _escalation(ctx, feedback_id)
    if (settled_note := await _escalated_note(ctx, feedback_id)) is not None:
        return settled_note
    return await engine.start(ctx, URGENT.name, answers)


async def escalate_feedback(ctx: Context, feedback_id: int) -> list[Outgoing]:
    """The same from the web console, whose button asks for the confirmation itself."""
    answers = await _escalation(ctx, feedback_id)
    return await raise_urgent(ctx, answers["_unit_id"], answers["category"], answers["text"],
                              feedback_id=answers["_feedback_id"])


async def _escalation(ctx: Context, feedback_id: int) -> dict[str, Any]:
    item = await service.feedback_by_id(ctx.session, feedback_id)
    if item is None or not ctx.actor.units_with(*ADMIN_ROLES):
        raise UserFacingError("not_allowed")
    return {"_unit_id": item.unit_id, "_feedback_id": item.id, "category": item.category,
            "text": f"[{item.reference}] {item.text}"}


async def _escalated_note(ctx: Context, feedback_id: int) -> list[Outgoing] | None:
    """Feedback someone already turned into an urgent issue: who did, and when (never a second issue)."""
    issue = await inbox.issue_of_feedback(ctx.session, feedback_id)
    if issue is None:
        return None
    return await settled.note(ctx, "feedback", "escalated", issue.raised_by, issue.created_at)


async def _issue(ctx: Context, issue_id: int) -> UrgentIssue:
    issue = await service.issue_by_id(ctx.session, issue_id)
    if issue is None or not service.can_handle(ctx.actor, issue):
        raise UserFacingError("not_allowed")
    return issue


def _who(ctx: Context) -> str:
    return ctx.actor.person.full_name or t.URGENT["someone"]


async def _tell_raiser(ctx: Context, issue: UrgentIssue, text: str) -> None:
    raiser = await account_of(ctx.session, issue.raised_by)
    if raiser is not None:
        ctx.notices.append(Outgoing(text, chat_id=raiser.chat_id, platform=raiser.platform))


def _what_is_left(issue: UrgentIssue) -> tuple[Choice, ...]:
    """The alert's buttons are gone once one is pressed: offer again what is left to do."""
    return (Choice(button_data(REPLY_BUTTON, issue.id), t.URGENT["reply"]),
            Choice(button_data(RESOLVE, issue.id), t.URGENT["resolve"]))


async def handled_note(ctx: Context, issue: UrgentIssue, wanted: str) -> list[Outgoing] | None:
    """An old button of an issue someone else already acknowledged (or anyone resolved): say so."""
    if issue.status == service.RESOLVED:
        return await settled.note(ctx, "issue", "resolved", issue.resolved_by, issue.resolved_at)
    if wanted == service.ACKNOWLEDGED and issue.status == service.ACKNOWLEDGED:
        return await settled.note(ctx, "issue", "acknowledged", issue.acknowledged_by, issue.acknowledged_at)
    return None


async def _settle_copies(ctx: Context, issue: UrgentIssue, verb: str) -> None:
    what = SETTLED["issue"].format(reference=issue.reference)
    await settled.update_copies(ctx, ("issue", issue.id), what, verb)


async def acknowledge_action(ctx: Context, engine: FlowEngine, issue_id: int) -> list[Outgoing]:
    issue = await _issue(ctx, issue_id)
    if (handled := await handled_note(ctx, issue, service.ACKNOWLEDGED)) is not None:
        return handled
    await service.change_status(ctx.session, issue, ctx.actor, service.ACKNOWLEDGED, ctx.now)
    await _settle_copies(ctx, issue, "acknowledged")
    await _tell_raiser(ctx, issue, t.URGENT["to_officer_acked"].format(reference=issue.reference, who=_who(ctx)))
    return [Outgoing(t.URGENT["acked"].format(reference=issue.reference), choices=_what_is_left(issue))]


async def resolve_action(ctx: Context, engine: FlowEngine, issue_id: int) -> list[Outgoing]:
    issue = await _issue(ctx, issue_id)
    if (handled := await handled_note(ctx, issue, service.RESOLVED)) is not None:
        return handled
    await service.change_status(ctx.session, issue, ctx.actor, service.RESOLVED, ctx.now)
    await _settle_copies(ctx, issue, "resolved")
    await _tell_raiser(ctx, issue, t.URGENT["to_officer_resolved"].format(reference=issue.reference, who=_who(ctx)))
    return [Outgoing(t.URGENT["resolved"].format(reference=issue.reference))]


async def reply_action(ctx: Context, engine: FlowEngine, issue_id: int) -> list[Outgoing]:
    issue = await _issue(ctx, issue_id)
    return await engine.start(ctx, REPLY.name, {"_issue_id": issue.id, "_reference": issue.reference})


async def _finish_reply(ctx: Context, answers: dict[str, Any]) -> list[Outgoing]:
    return await reply_to_issue(ctx, answers["_issue_id"], answers["text"])


async def reply_to_issue(ctx: Context, issue_id: int, reply: str) -> list[Outgoing]:
    """An admin's reply to whoever raised an urgent issue (replying acknowledges an open one); the
    end of the chat's "Trả lời" flow and the web console's reply form."""
    issue = await _issue(ctx, issue_id)
    if issue.status == service.OPEN:  # answering is acknowledging
        await service.change_status(ctx.session, issue, ctx.actor, service.ACKNOWLEDGED, ctx.now)
        await _settle_copies(ctx, issue, "acknowledged")
    text = t.URGENT["to_officer_reply"].format(reference=issue.reference, who=_who(ctx), text=reply)
    await _tell_raiser(ctx, issue, text)
    audit.record(ctx.session, "issue.reply", now=ctx.now, actor_id=ctx.actor.person.id, target=f"issue:{issue.id}")
    return [Outgoing(t.URGENT["replied"].format(reference=issue.reference), choices=_what_is_left(issue))]


REPLY = Flow(
    name="issue_reply",
    steps=(Step("text", lambda ctx, a: t.URGENT["ask_reply"].format(reference=a["_reference"]), ANSWER_TEXT),),
    finish=_finish_reply,
)

ACTIONS = {
    TO_URGENT: urgent_from_feedback,
    ANSWER_BUTTON: answer_action,
    VIEW: view_action,
    ACK: acknowledge_action,
    RESOLVE: resolve_action,
    REPLY_BUTTON: reply_action,
}


# --------------------------------------------------------------------------- /duluan

async def sentiment_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    units = ctx.actor.units_with(*ADMIN_ROLES)
    if not units:
        raise UserFacingError("not_admin")
    unit = min(units, key=lambda u: u.level)
    if ctx.incoming.args:
        try:
            period = Period.parse(ctx.incoming.args[0])
        except ValueError:
            raise UserFacingError("bad_period", text=ctx.incoming.args[0][:20]) from None
    else:
        period = Period.containing(PeriodKind.MONTH, ctx.now.astimezone(ctx.config.schedule.tz).date())
    summary = await summarize(ctx.session, unit, period, ctx.config.tz_name)
    return [Outgoing(format_summary(summary, ctx.config.tz_name))]


def _change(now: int, before: int) -> str:
    if before == 0:
        return "mới" if now else "không đổi"
    delta = (now - before) * 100 // before
    return f"{delta:+d}%"


def format_summary(summary, tz_name: str) -> str:
    s = t.SENTIMENT
    lines = [s["title"].format(period=summary.period.label, unit=summary.unit_name)]
    lines.append(s["total"].format(total=summary.total, previous=summary.previous_total,
                                   change=_change(summary.total, summary.previous_total)))
    if summary.open_issues:
        lines.append(s["open_issues"].format(count=summary.open_issues))
    if not summary.total:
        lines.append(s["none"])
        return "\n".join(lines)
    lines += ["", s["by_category"]]
    for category, count in summary.by_category.most_common():
        before = summary.previous_by_category.get(category, 0)
        lines.append(s["line"].format(label=CONFIG.category_label(category), count=count,
                                      change=f" ({_change(count, before)})"))
    lines += ["", s["by_tone"]]
    lines += [s["line"].format(label=CONFIG.tone_label(tone) if tone != "unknown" else "Không rõ", count=count,
                               change="") for tone, count in summary.by_tone.most_common()]
    lines += ["", s["by_unit"]]
    lines += [s["line"].format(label=name, count=count, change="") for name, count in summary.by_child.most_common(15)]
    lines += ["", s["latest"]]
    for item, unit_name in summary.latest:
        text = item.text if len(item.text) <= 120 else item.text[:117] + "…"
        lines.append(s["latest_line"].format(when=local_time(item.created_at, tz_name), unit=unit_name,
                                             category=CONFIG.category_label(item.category), text=text))
    return "\n".join(lines)
