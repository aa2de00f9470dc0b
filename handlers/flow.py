"""The conversation engine: guided flows as named steps, with state in the database.

A `Conversation` row holds the flow, the current step *by name*, the answers as JSON and the
path taken (for "back"). Each answer and the step change are written in the caller's single
transaction, so a restart or a crash never loses an answer that was acknowledged.

These rows are the conversations floor's own state, so the engine reads and writes them here;
every other handler module calls a feature for what is stored (the `sql-in-features` import
contract in pyproject.toml holds that line).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Choice, CommandMenuEntry, Edit, Incoming, Outgoing
from bot.core.periods import Schedule
from bot.services.pages.sealing import TokenBox
from bot.services.people.people import Actor
from handlers import texts
from handlers.answers import AnswerType, InvalidAnswer
from storage.models import Conversation, ConversationStatus

if TYPE_CHECKING:
    from handlers.catalogue import Catalogue

log = logging.getLogger(__name__)
WEB = "web"  # the platform name of the web console's synthetic events (no chat, no conversation)


@dataclass(frozen=True)
class HandlerConfig:
    """Settings the handlers need, handed in by the composition root."""

    bot_username: str = "ketnoi_bot"
    conversation_ttl: timedelta = timedelta(hours=72)
    invite_ttl: timedelta = timedelta(days=14)
    code_tries_per_hour: int = 5  # wrong invite or link codes an account may type per hour
    tz_name: str = "Asia/Ho_Chi_Minh"
    max_text_length: int = 4000
    schedule: Schedule = field(default_factory=Schedule.load)
    platforms: tuple[str, ...] = ("telegram", "zalo")  # the platforms this service runs
    allow_self_approval: bool = False  # a single-admin province may approve its own content
    wake_outbox: Callable[[], None] | None = None  # after a broadcast is released
    fetch_file: Callable[[str, str], Awaitable[bytes]] | None = None  # (platform, file id) -> bytes
    outbox_stopped: Callable[[int], None] = lambda broadcast_id: None
    console_url: str | None = None  # the web console's sign-in address, the /web link's base
    page_box: TokenBox | None = None  # seals Facebook Page tokens (/fanpage); None without PAGE_TOKEN_KEY


@dataclass
class Context:
    """Everything one incoming event is handled with: one session, one clock reading."""

    session: AsyncSession
    incoming: Incoming
    actor: Actor
    now: datetime
    config: HandlerConfig
    catalogue: Catalogue
    menu: tuple[CommandMenuEntry, ...] | None = None  # set when the person's menu changed
    notices: list[Outgoing] = field(default_factory=list)  # messages to other people
    edits: list[Edit] = field(default_factory=list)  # other people's copies of a notice, updated
    after_commit: list[Callable[[], None] | None] = field(default_factory=list)  # run once committed


@dataclass(frozen=True)
class Goto:
    """Where to go after an answer: a step by name, or (step None) the end of the flow."""

    step: str | None
    notice: str | None = None  # said before the next question
    before: tuple[Outgoing, ...] = ()  # whole messages sent before the next question (a preview)


class KeepStep(Exception):
    """The answer changed the step's state (a ticked option, a received photo) but is not final.

    The engine saves `patch` into the conversation's answers and asks the same step again.
    """

    def __init__(self, patch: dict[str, Any], notice: str | None = None) -> None:
        super().__init__("keep step")
        self.patch = patch
        self.notice = notice


Prompt = str | Callable[[Context, dict[str, Any]], str | Awaitable[str]]
Finish = Callable[[Context, dict[str, Any]], Awaitable[list[Outgoing]]]
OnAnswer = Callable[[Context, str, Any, dict[str, Any]], Awaitable[Goto | None]]
# What /huy says for a flow that keeps its work elsewhere (a report's saved answers); None: the default.
OnCancel = Callable[[Context, dict[str, Any]], Awaitable[list[Outgoing] | None]]


@dataclass(frozen=True)
class Step:
    """One question. `when` decides from earlier answers whether the step is asked at all."""

    name: str
    prompt: Prompt
    answer: AnswerType
    when: Callable[[dict[str, Any]], bool] | None = None


@dataclass(frozen=True)
class Flow:
    """A named sequence of steps and what to do with the answers at the end."""

    name: str
    steps: tuple[Step, ...]
    finish: Finish
    on_answer: OnAnswer | None = None  # may save the answer elsewhere and choose the next step
    ephemeral: bool = False  # the conversation row is deleted when the flow ends
    on_cancel: OnCancel | None = None
    # Where `on_answer` may send each listed step next (None: the end), declared as data because
    # the choice itself is code: the state diagram draws these, and the engine logs a warning when
    # a step goes anywhere else. A step not listed goes on to the next step that applies.
    jumps: Mapping[str, tuple[str | None, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = {step.name for step in self.steps}
        for source, targets in self.jumps.items():
            unknown = ({source} | {t for t in targets if t is not None}) - names
            if unknown:
                raise ValueError(f"flow {self.name}: jumps name no such step {sorted(unknown)}")

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(f"flow {self.name} has no step {name}")

    def next_step(self, answers: dict[str, Any], after: str | None) -> Step | None:
        """The first step after `after` (or the first step) that applies to these answers."""
        names = [s.name for s in self.steps]
        start = 0 if after is None else names.index(after) + 1
        for step in self.steps[start:]:
            if step.when is None or step.when(answers):
                return step
        return None


def _check_declared(flow: Flow, step: str, following: Step | None, *, routed: bool) -> None:
    """Warn when a step went where `Flow.jumps` does not say it may: its diagram would be wrong."""
    target = following.name if following else None
    declared = target in flow.jumps[step] if step in flow.jumps else not routed
    if not declared:
        log.warning("flow %s: step %s went to %s, which Flow.jumps does not declare", flow.name, step, target)


class FlowEngine:
    """Starts, advances, rewinds and cancels flows for one person at a time."""

    def __init__(self, flows: Iterable[Flow]) -> None:
        self.flows = {flow.name: flow for flow in flows}

    async def current(self, ctx: Context) -> tuple[Conversation | None, bool]:
        """The person's waiting conversation, and whether an older one just expired."""
        inc = ctx.incoming
        conv = (
            await ctx.session.execute(
                select(Conversation)
                .where(
                    Conversation.platform == inc.platform,
                    Conversation.user_id == inc.user_id,
                    Conversation.status == ConversationStatus.WAITING,
                )
                .order_by(Conversation.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if conv is None:
            return None, False
        if conv.expires_at <= ctx.now or conv.flow not in self.flows:
            await self._close(ctx, conv, ConversationStatus.EXPIRED)
            return None, True
        return conv, False

    async def start(
        self,
        ctx: Context,
        flow_name: str,
        answers: dict[str, Any] | None = None,
        *,
        at_step: str | None = None,
        notice: str | None = None,
    ) -> list[Outgoing]:
        """Begin a flow (at `at_step`, or its first applicable step), ending any other waiting."""
        flow = self.flows[flow_name]
        replies: list[Outgoing] = []
        existing, _ = await self.current(ctx)
        if existing is not None:
            await self._close(ctx, existing, ConversationStatus.CANCELLED)
            replies.append(Outgoing(texts.FLOW["replaced"]))
        answers = dict(answers or {})
        first = flow.step(at_step) if at_step else flow.next_step(answers, None)
        if first is None:
            return replies + await flow.finish(ctx, answers)
        conv = Conversation(
            platform=ctx.incoming.platform,
            user_id=ctx.incoming.user_id,
            chat_id=ctx.incoming.chat_id,
            flow=flow.name,
            step=first.name,
            answers=answers,
            history=[],
            status=ConversationStatus.WAITING,
            created_at=ctx.now,
            updated_at=ctx.now,
            expires_at=ctx.now + ctx.config.conversation_ttl,
        )
        ctx.session.add(conv)
        replies.append(await self.prompt(ctx, conv, prefix=notice))
        return replies

    async def answer(self, ctx: Context, conv: Conversation) -> list[Outgoing]:
        """Take the person's answer to the current step, then ask the next one or finish."""
        flow = self.flows[conv.flow]
        step = flow.step(conv.step)
        answers = dict(conv.answers)
        try:
            value = await step.answer.parse(ctx.incoming, answers, ctx)
        except KeepStep as keep:
            conv.answers = {**answers, **keep.patch}
            self._touch(ctx, conv)
            again = await self.prompt(ctx, conv, prefix=keep.notice)
            # A press that keeps the step (an option ticked) updates the pressed question in place.
            return [replace(again, replaces_pressed=ctx.incoming.choice is not None)]
        except InvalidAnswer as problem:
            message = texts.ANSWER_ERRORS[problem.key].format(**problem.params)
            return [await self.prompt(ctx, conv, prefix=message, choices=problem.choices or None)]
        answers[step.name] = value
        # The row gets copies: a dict the ORM holds must never be changed in place, or the
        # change would look like no change at all and never be written.
        conv.answers = dict(answers)
        self._touch(ctx, conv)
        route = await flow.on_answer(ctx, step.name, value, answers) if flow.on_answer else None
        conv.answers = dict(answers)  # on_answer may have noted more (e.g. where an edit returns to)
        if route is not None:
            following = flow.step(route.step) if route.step else None
        else:
            following = flow.next_step(answers, step.name)
        _check_declared(flow, step.name, following, routed=route is not None)
        if following is None:
            await self._close(ctx, conv, ConversationStatus.COMPLETED)
            await ctx.session.flush()
            return await flow.finish(ctx, answers)
        conv.history = [*conv.history, step.name]
        conv.step = following.name
        before = list(route.before) if route else []
        return [*before, await self.prompt(ctx, conv, prefix=route.notice if route else None)]

    def _touch(self, ctx: Context, conv: Conversation) -> None:
        conv.updated_at = ctx.now
        conv.expires_at = ctx.now + ctx.config.conversation_ttl

    async def back(self, ctx: Context, conv: Conversation) -> list[Outgoing]:
        """Return to the previous step; its earlier answer is kept until replaced."""
        if not conv.history:
            return [await self.prompt(ctx, conv, prefix=texts.FLOW["nothing_to_go_back"])]
        *rest, previous = conv.history
        conv.history = rest
        conv.step = previous
        self._touch(ctx, conv)
        return [await self.prompt(ctx, conv, prefix=texts.FLOW["back"])]

    async def cancel(self, ctx: Context, conv: Conversation) -> list[Outgoing]:
        """End the flow; its own words when what was entered is kept, else that it was dropped."""
        flow = self.flows.get(conv.flow)
        said = await flow.on_cancel(ctx, dict(conv.answers)) if flow is not None and flow.on_cancel else None
        await self._close(ctx, conv, ConversationStatus.CANCELLED)
        return said or [Outgoing(texts.FLOW["cancelled"])]

    async def _close(self, ctx: Context, conv: Conversation, status: ConversationStatus) -> None:
        """End a conversation: its answers are not kept (they live on in what the flow saved).

        An `ephemeral` flow (anonymous feedback) leaves no row at all, so not even the time a
        person finished it can be matched with what was submitted.
        """
        flow = self.flows.get(conv.flow)
        if flow is not None and flow.ephemeral:
            await ctx.session.delete(conv)
            return
        conv.status = status
        conv.answers = {}
        conv.history = []
        conv.updated_at = ctx.now

    async def prompt(
        self,
        ctx: Context,
        conv: Conversation,
        *,
        prefix: str | None = None,
        choices: Sequence[Choice] | None = None,
    ) -> Outgoing:
        """The current step's question, with its options, after an optional explanation."""
        step = self.flows[conv.flow].step(conv.step)
        text = step.prompt if isinstance(step.prompt, str) else step.prompt(ctx, dict(conv.answers))
        if inspect.isawaitable(text):
            text = await text
        if prefix:
            text = f"{prefix}\n\n{text}"
        options = tuple(choices) if choices is not None else step.answer.options(dict(conv.answers))
        free_input = bool(getattr(step.answer, "free_input", False))
        return Outgoing(text=text, choices=options, free_input=free_input, asks=True)
