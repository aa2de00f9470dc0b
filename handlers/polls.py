"""/thamdo (/poll): quick polls, approved and delivered like content; votes by button or number.

/khaosat N shows a poll sent to the person again, with the same options its message had: on
Zalo a poll that arrives while the person has a question open comes without its numbers (they
stay the question's), and this is where it is answered later.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bot.core.buttons import command_button
from bot.core.errors import UserFacingError
from bot.core.messages import Choice, Outgoing, Photo
from bot.core.numbers import typed_id
from bot.services.reporting.charts import poll_chart
from bot.services.reporting.rollup import percent
from broadcasts import approval as broadcast_service
from broadcasts import polls as service
from broadcasts.audience import Audience
from handlers import post
from handlers.answers import Text
from handlers.feedback_texts import POLL as t
from handlers.flow import Context, Flow, FlowEngine, Step
from handlers.questions import QuestionAnswer
from handlers.unit_answer import UnitAnswer
from storage.models import Role


async def _finish(ctx: Context, answers: dict[str, Any]) -> list[Outgoing]:
    return await submit_poll(ctx, answers["question"], answers["options"].splitlines(), post.audience_of(answers))


async def submit_poll(ctx: Context, question: str, options: list[str], audience: Audience) -> list[Outgoing]:
    """A poll goes for approval like content (the last step of /thamdo, and the web console's form)."""
    broadcast_service.require_province_admin(ctx.actor)
    poll = await service.create(ctx.session, ctx.actor, question=question, options=options, audience=audience,
                                now=ctx.now)
    await broadcast_service.submit(ctx.session, ctx.actor, poll.broadcast_id, now=ctx.now)
    await post.ask_approvers(ctx, poll.broadcast_id, audience, poll.question)
    return [Outgoing(t["submitted"].format(poll=poll.id, id=poll.broadcast_id))]


class OptionLines(Text):
    """2–6 options, one per line, checked as the poll service will check them."""

    async def parse(self, incoming, answers, ctx) -> str:
        text = await super().parse(incoming, answers, ctx)
        return "\n".join(service.clean_options(text.splitlines()))


POLL = Flow(
    name="poll",
    steps=(
        Step("question", t["ask_question"].format(maximum=service.QUESTION_MAX_LENGTH),
             Text(maximum=service.QUESTION_MAX_LENGTH, minimum=5)),
        Step("options", t["ask_options"], OptionLines(maximum=400, minimum=3)),
        Step("unit", post.t.POST["ask_unit"], UnitAnswer(post.roots_of, offered=post.offered_roots)),
        Step("q:roles", post.t.POST["ask_roles"], QuestionAnswer(post.CHAT_AUDIENCE)),
    ),
    finish=_finish,
)


async def poll_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    broadcast_service.require_province_admin(ctx.actor)
    roots = [[u.code, u.name] for u in ctx.actor.units_with(Role.PROVINCE_ADMIN)]
    return await engine.start(ctx, POLL.name, {"_roots": roots})


async def vote_action(ctx: Context, engine: FlowEngine, poll_id: int, option: int) -> list[Outgoing]:
    poll = await service.vote(ctx.session, ctx.actor, poll_id, option, now=ctx.now)
    return [Outgoing(t["voted"].format(option=poll.options[option]))]


COMMAND = "khaosat"  # what a member types to answer a poll (the Zalo adapter's hint names it too)
LISTED_QUESTION_LENGTH = 60


async def answer_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    """/khaosat N shows poll N with its options; /khaosat lists the polls this person may answer."""
    poll_id = _poll_id(ctx, COMMAND)
    if poll_id is None:
        return await _open_polls(ctx)
    poll = await service.answerable(ctx.session, ctx.actor, poll_id, now=ctx.now)
    text = t["show"].format(poll=poll.id, question=poll.question)
    chosen = await service.choice_of(ctx.session, poll.id, ctx.actor.person_id)
    if chosen is not None:
        text += "\n\n" + t["chosen"].format(option=poll.options[chosen])
    return [Outgoing(text, choices=service.vote_choices(poll.id, poll.options))]


async def _open_polls(ctx: Context) -> list[Outgoing]:
    polls = await service.open_for(ctx.session, ctx.actor.person_id, now=ctx.now)
    if not polls:
        return [Outgoing(t["none_open"])]
    choices = tuple(
        Choice(command_button(f"{COMMAND} {poll.id}"), t["listed"].format(poll=poll.id, question=_short(poll.question)))
        for poll in polls
    )
    return [Outgoing(t["open_title"], choices=choices)]


def _short(text: str) -> str:
    limit = LISTED_QUESTION_LENGTH
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _poll_id(ctx: Context, command: str) -> int | None:
    if not ctx.incoming.args:
        return None
    poll_id = typed_id(ctx.incoming.args[0])
    if poll_id is None:
        raise UserFacingError("poll_gone")
    return poll_id


def format_results(results: service.Results) -> str:
    poll = results.poll
    lines = [t["results_title"].format(poll=poll.id, question=poll.question)]
    for option, count in zip(poll.options, results.counts, strict=True):
        share = percent(count / results.total) if results.total else "0%"
        lines.append(t["results_line"].format(option=option, count=count, share=share))
    closed = t["closed_mark"] if poll.status == "closed" else ""
    lines.append(t["results_total"].format(total=results.total, closed=closed))
    if results.by_unit:
        lines += ["", t["by_unit"]]
        for unit, counts in sorted(results.by_unit.items()):
            described = ", ".join(f"{poll.options[i]}: {n}" for i, n in sorted(counts.items()))
            lines.append(t["unit_line"].format(unit=unit, counts=described))
    return "\n".join(lines)


async def results_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    broadcast_service.require_province_admin(ctx.actor)
    poll_id = _poll_id(ctx, "ketqua")
    if poll_id is None:
        return [Outgoing(t["ask_id"].format(command="ketqua"))]
    results = await service.results(ctx.session, poll_id)
    chart = await asyncio.to_thread(poll_chart, results.poll.question, results.poll.options, results.counts)
    return [Outgoing(format_results(results)), Outgoing(results.poll.question, photo=Photo(chart, "khao-sat.png"))]


async def close_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    poll_id = _poll_id(ctx, "dongthamdo")
    if poll_id is None:
        return [Outgoing(t["ask_id"].format(command="dongthamdo"))]
    poll = await service.close(ctx.session, ctx.actor, poll_id, now=ctx.now)
    return [Outgoing(t["closed"].format(poll=poll.id))]


ACTIONS = {service.VOTE: vote_action}
