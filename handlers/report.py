"""/baocao (/report): an officer files the unit's periodic report, step by step.

Every answer is written to the shared `Report` row as it is given (and audited), so another
officer of the same unit, a restart, or tomorrow continues from the same answers. The flow
is built from the form's YAML; one flow per form version, so a draft started on an old
version finishes on it.
"""

from __future__ import annotations

from typing import Any

from bot.core.buttons import button_data
from bot.core.errors import UserFacingError
from bot.core.formatting import local_time
from bot.core.forms import Form, all_forms
from bot.core.messages import Choice, Outgoing
from bot.core.periods import OpenPeriod, Period, PeriodKind
from bot.services.people.units import unit_by_id
from bot.services.reporting import reports
from handlers import report_texts as t
from handlers.answers import OneOf
from handlers.deadlines import OWED, due_words
from handlers.flow import Context, Flow, FlowEngine, Goto, Step
from handlers.questions import QuestionAnswer, show_value, step_name
from handlers.review import ACCEPT_BUTTON, RETURN_BUTTON
from storage.models import Report, ReportStatus

SUBMIT, EDIT, LATER = "submit", "edit", "later"


async def load_report(ctx: Context, answers: dict[str, Any]) -> Report:
    return await reports.get_report(ctx.session, answers["report_id"])


def summary_lines(form: Form, values: dict[str, Any]) -> list[str]:
    return [
        f"{n}. {q.label}: {show_value(q, values[q.key]) if q.key in values else '—'}"
        for n, q in enumerate(form.questions, 1)
    ]


def report_summary(report: Report) -> str:
    """The answers as a numbered list (also what reviewers receive)."""
    return "\n".join(summary_lines(reports.form_of(report), report.answers))


async def _summary_prompt(ctx: Context, answers: dict[str, Any]) -> str:
    report = await load_report(ctx, answers)
    period = Period.parse(report.period_key)
    lines = [t.FILE["summary_title"].format(label=period.label, unit=report.unit.name)]
    lines.append(t.FILE["summary_deadline"].format(deadline=local_time(report.deadline, ctx.config.tz_name)))
    if report.status == ReportStatus.RETURNED and report.return_reason:
        lines.append(t.FILE["summary_returned"].format(reason=report.return_reason))
    elif report.submitted_answers is not None and report.status == ReportStatus.DRAFT:
        lines.append(t.FILE["summary_reopened"])
    if ctx.now > report.deadline:
        lines.append(t.FILE["summary_late"])
    lines += ["", report_summary(report), "", t.FILE["summary_ask"]]
    return "\n".join(lines)


def _question_prompt(form: Form, index: int):
    question = form.questions[index]

    def prompt(ctx: Context, answers: dict[str, Any]) -> str:
        text = t.FILE["question"].format(number=index + 1, total=len(form.questions), prompt=question.prompt)
        current = answers.get(step_name(question))
        if current is not None and question.type not in {"multi_choice", "photos"}:
            text += "\n" + t.FILE["current"].format(value=show_value(question, current))
        if question.key == reports.SHARES_QUESTION and answers.get("_shared_posts"):
            text += "\n" + t.FILE["shared_hint"].format(count=answers["_shared_posts"])
        return text

    return prompt


def _edit_choices(form: Form):
    def choices(answers: dict[str, Any]) -> list[Choice]:
        return [Choice(q.key, f"{n}. {q.label}") for n, q in enumerate(form.questions, 1)]

    return choices


def _period_choices(answers: dict[str, Any]) -> list[Choice]:
    return [Choice(key, label) for key, label in answers["_periods"]]


def _first_missing(form: Form, values: dict[str, Any]) -> str:
    for question in form.questions:
        if not question.optional and question.key not in values:
            return step_name(question)
    return "summary"


async def enter_period(ctx: Context, answers: dict[str, Any], period_key: str) -> Goto:
    """Open (or create) the unit's report for the period and decide where to start."""
    unit = await unit_by_id(ctx.session, answers["_unit_id"])
    period = Period.parse(period_key)
    report = await reports.get_or_create(ctx.session, unit, period, ctx.config.schedule, ctx.now)
    reports.require_editable(report, ctx.now)
    answers["report_id"] = report.id
    form = reports.form_of(report)
    notice = None
    shared = await reports.shared_posts(ctx.session, report, ctx.config.tz_name)
    if shared and reports.SHARES_QUESTION not in report.answers:
        answers["_shared_posts"] = shared[reports.SHARES_QUESTION]
    if not report.answers:
        if period.kind != PeriodKind.MONTH:
            start = await reports.prefill(ctx.session, report, tz_name=ctx.config.tz_name)
            for key, value in start.items():
                answers[f"q:{key}"] = value
            if set(start) - {reports.MOOD_QUESTION}:
                notice = t.FILE["prefilled_months"].format(count=len(period.months()))
            return Goto(step_name(form.questions[0]), notice)
        observed = await reports.prefill(ctx.session, report, tz_name=ctx.config.tz_name)
        for key, value in observed.items():
            answers[f"q:{key}"] = value
        last_month = await reports.prefill(ctx.session, report, use_last_month=True, tz_name=ctx.config.tz_name)
        if set(last_month) - set(observed):
            answers["_previous_label"] = period.previous().label
            return Goto("last_month")
        return Goto(step_name(form.questions[0]))
    for key, value in report.answers.items():
        answers[f"q:{key}"] = value
    if "_shared_posts" in answers:  # a draft begun before the shares came: suggest them still
        answers[f"q:{reports.SHARES_QUESTION}"] = answers["_shared_posts"]
    target = _first_missing(form, report.answers)
    if target != "summary":
        notice = t.FILE["resume"].format(label=period.label)
    return Goto(target, notice)


def build_report_flow(form: Form) -> Flow:
    """The /baocao flow for one form version."""
    question_steps = tuple(
        Step(step_name(q), _question_prompt(form, i), QuestionAnswer(q)) for i, q in enumerate(form.questions)
    )
    keys = {step_name(q): q.key for q in form.questions}

    async def on_answer(ctx: Context, step: str, value: Any, answers: dict[str, Any]) -> Goto | None:
        if step == "period":
            return await enter_period(ctx, answers, value)
        if step == "last_month":
            if value == "yes":
                report = await load_report(ctx, answers)
                for key, previous in (
                    await reports.prefill(ctx.session, report, use_last_month=True, tz_name=ctx.config.tz_name)
                ).items():
                    answers[f"q:{key}"] = previous
                notice = t.FILE["prefilled_last"].format(previous=answers["_previous_label"])
                return Goto(step_name(form.questions[0]), notice)
            return Goto(step_name(form.questions[0]))
        if step in keys:
            report = await load_report(ctx, answers)
            await reports.set_answer(
                ctx.session, report, keys[step], value, actor_id=ctx.actor.person.id, now=ctx.now
            )
            if answers.pop("_editing", False):
                return Goto("summary")
            names = list(keys)
            return Goto(names[names.index(step) + 1] if step != names[-1] else "summary")
        if step == "summary":
            report = await load_report(ctx, answers)
            if value == EDIT:
                return Goto("edit")
            if value == SUBMIT and reports.missing_answers(report):
                missing = reports.missing_answers(report)
                return Goto(f"q:{missing[0]}", t.FILE["missing_first"])
            return Goto(None)
        if step == "edit":
            answers["_editing"] = True
            return Goto(f"q:{value}")
        return None

    return Flow(
        name=f"report:{form.id}:{form.version}",
        steps=(
            Step("period", t.FILE["ask_period"], OneOf(_period_choices)),
            Step(
                "last_month",
                lambda ctx, a: t.FILE["ask_last_month"].format(previous=a["_previous_label"]),
                OneOf((Choice("yes", t.FILE["use_last_month"]), Choice("no", t.FILE["start_empty"]))),
            ),
            *question_steps,
            Step(
                "summary",
                _summary_prompt,
                OneOf((Choice(SUBMIT, t.FILE["submit"]), Choice(EDIT, t.FILE["edit"]), Choice(LATER, t.FILE["later"]))),
            ),
            Step("edit", t.FILE["ask_edit"], OneOf(_edit_choices(form))),
        ),
        finish=_finish,
        on_answer=on_answer,
        on_cancel=_on_cancel,
        jumps=_report_jumps(list(keys)),
    )


def _report_jumps(questions: list[str]) -> dict[str, tuple[str | None, ...]]:
    """Where `on_answer` sends each step: a period opens at its first question, at the offer of
    last month's answers, or (a report already begun) at its first missing answer or the summary;
    each question leads to the next, or back to the summary when it was an edit; the summary
    submits (or asks first what is missing), saves for later, or offers the questions to edit."""
    following = [*questions[1:], "summary"]
    return {
        "period": (questions[0], "last_month", *questions[1:], "summary"),
        "last_month": (questions[0],),
        **{q: (after,) if after == "summary" else (after, "summary") for q, after in zip(questions, following, strict=True)},
        "summary": ("edit", *questions, None),
        "edit": tuple(questions),
    }


async def _finish(ctx: Context, answers: dict[str, Any]) -> list[Outgoing]:
    report = await load_report(ctx, answers)
    period = Period.parse(report.period_key)
    if answers.get("summary") != SUBMIT:
        return [Outgoing(t.FILE["saved"].format(label=period.label))]
    changes = await reports.submit(ctx.session, report, actor_id=ctx.actor.person.id, now=ctx.now)
    await _tell_reviewers(ctx, report, period, changes)
    key = "submitted_late" if report.late else "submitted"
    return [
        Outgoing(
            t.FILE[key].format(
                label=period.label, unit=report.unit.name,
                deadline=local_time(report.deadline, ctx.config.tz_name),
            )
        )
    ]


def review_text(report: Report, period: Period) -> str:
    """What a reviewer reads about a submitted report (its notice, and /viec when opened)."""
    late = t.REVIEW["late_mark"] if report.late else ""
    return t.REVIEW["new"].format(unit=report.unit.name, label=period.label, late=late, summary=report_summary(report))


def review_choices(report_id: int) -> tuple[Choice, ...]:
    return (Choice(button_data(ACCEPT_BUTTON, report_id), t.REVIEW["accept"]),
            Choice(button_data(RETURN_BUTTON, report_id), t.REVIEW["return"]))


async def _tell_reviewers(ctx: Context, report: Report, period: Period, changes: list | None) -> None:
    """The admins above hear of each submission, with what changed when it is sent again."""
    form = reports.form_of(report)
    if changes is None:
        text = review_text(report, period)
    else:
        late = t.REVIEW["late_mark"] if report.late else ""
        common = {"unit": report.unit.name, "label": period.label, "late": late, "summary": report_summary(report)}
        described = "; ".join(
            f"{form.question(c.key).label}: {show_value(form.question(c.key), c.before)} → "
            f"{show_value(form.question(c.key), c.after)}"
            for c in changes
        )
        text = t.REVIEW["again"].format(changes=described or t.REVIEW["no_changes"], **common)
    choices = review_choices(report.id)
    for identity in await reports.reviewers_of(ctx.session, report.unit):
        ctx.notices.append(Outgoing(text, choices=choices, chat_id=identity.chat_id, platform=identity.platform,
                                    about=("report", report.id)))


async def report_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    """Start (or resume) the unit's report: pick the period when more than one is open."""
    units = reports.filing_units(ctx.actor)
    if not units:
        raise UserFacingError("not_officer")
    unit = units[0]
    level = await reports.unit_level(ctx.session, unit)
    open_periods = ctx.config.schedule.open_periods(level, ctx.now)
    if not open_periods:
        raise UserFacingError("no_open_period")
    states = {p.period.key: await reports.find(ctx.session, unit, p.period) for p in open_periods}
    choices = [[o.period.key, _period_label(ctx, o, states[o.period.key])] for o in open_periods]
    form = reports.current_form()
    answers: dict[str, Any] = {"_unit_id": unit.id, "_periods": choices}
    returned = [key for key, r in states.items() if r is not None and r.status == ReportStatus.RETURNED]
    # `/baocao 2026-11` (or a reminder's button) names the period; a returned report comes first.
    target = _asked_period(ctx, open_periods) or next(iter(returned), None)
    if target is None and len(open_periods) > 1:
        return await engine.start(ctx, f"report:{form.id}:{form.version}", answers, at_step="period")
    route = await enter_period(ctx, answers, target or open_periods[0].period.key)
    report = await load_report(ctx, answers)
    flow = f"report:{report.form_id}:{report.form_version}"
    return await engine.start(ctx, flow, answers, at_step=route.step, notice=route.notice)


def _asked_period(ctx: Context, open_periods) -> str | None:
    if not ctx.incoming.args:
        return None
    try:
        key = Period.parse(ctx.incoming.args[0]).key
    except ValueError:
        raise UserFacingError("bad_period", text=ctx.incoming.args[0][:20]) from None
    if key not in {o.period.key for o in open_periods}:
        raise UserFacingError("period_not_open", label=Period.parse(key).label)
    return key


def _period_label(ctx: Context, open_period: OpenPeriod, report: Report | None) -> str:
    """"Tháng 11/2026 (hạn 18/11, còn 3 ngày) – đang làm": how near the deadline is, while the
    report is still owed; a report already sent only shows its deadline."""
    day = f"{open_period.deadline.astimezone(ctx.config.schedule.tz):%d/%m}"
    label = open_period.period.label
    if report is None or report.status in OWED:
        due = due_words(ctx, open_period.deadline)
        return t.FILE["period_choice_due"].format(label=label, deadline=day, due=due) + _state_note(report)
    return t.FILE["period_choice"].format(label=label, deadline=day) + _state_note(report)


async def _on_cancel(ctx: Context, answers: dict[str, Any]) -> list[Outgoing] | None:
    """/huy in a report: every answer is already saved on the report, so say that the draft is
    kept (or that a report sent stays as it was sent) and how to continue."""
    if "report_id" not in answers:
        return None
    report = await reports.find_report(ctx.session, answers["report_id"])
    if report is None:
        return None
    label = Period.parse(report.period_key).label
    key = "cancelled_draft" if report.status in OWED else "cancelled_sent"
    return [Outgoing(t.FILE[key].format(label=label))]


def _state_note(report: Report | None) -> str:
    """Tell at a glance which periods still need work."""
    if report is None:
        return ""
    return t.FILE["state_notes"].get(report.status, "")


def report_flows() -> list[Flow]:
    return [build_report_flow(form) for form in all_forms().values()]
