"""The one entry point for every incoming event, and its error boundary.

One session and one transaction per event: the update id is claimed, the event is routed, and
everything commits together. Expected refusals (`UserFacingError`) roll back and answer in
Vietnamese; anything else is logged with its traceback and the person gets a short apology.
Either way the person's conversation stays where it was. Button data that no current button
sends (`buttons.StaleButton`) is such a refusal too, logged as a warning: it is hostile or old
input, not a bug.

Opening the session and claiming the update id are the engine's own work, so this module (with
`flow.py`) may use SQLAlchemy; every other handler calls a feature for what is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core import buttons
from bot.core.errors import KeptWrite, UserFacingError
from bot.core.log_ref import chat_ref
from bot.core.messages import Incoming, Outgoing, Response
from bot.core.meter import NO_METER, Meter
from bot.services.people import invites, linking, people
from broadcasts import approval as broadcast_chats
from handlers import texts
from handlers.answers import InvalidAnswer
from handlers.catalogue import Catalogue, Command
from handlers.flow import WEB, Context, FlowEngine, HandlerConfig
from handlers.start import join_with_code
from storage.claims import insert_if_absent, lock_for_transaction
from storage.failures import is_database_error
from storage.models import ProcessedUpdate

log = logging.getLogger(__name__)
# A button's action: (ctx, engine, *ids), the ids read from its data by `buttons.parse`.
Action = Callable[..., Awaitable[list[Outgoing]]]
# What the web console asks of the conversations floor: one feature call, as a signed-in person.
DeskWork = Callable[[Context, FlowEngine], Awaitable[list[Outgoing]]]


class Refused(Exception):
    """A console action a feature refused; `message` is the Vietnamese sentence the chat would say."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def claim_update(session: AsyncSession, platform: str, update_id: str, now: datetime) -> bool:
    """Record the update id; False when it was seen before (a replay or a re-delivery)."""
    return await insert_if_absent(session, ProcessedUpdate, platform=platform, update_id=update_id, processed_at=now)


class Dispatcher:
    """Routes neutral events to commands and flows. Knows nothing of any platform."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        engine: FlowEngine,
        catalogue: Catalogue,
        config: HandlerConfig,
        clock: Callable[[], datetime],
        actions: dict[str, Action] | None = None,
        meter: Meter = NO_METER,
    ) -> None:
        self.actions = actions or {}
        self.meter = meter
        self._arity = {prefix: buttons.ids_expected(action) for prefix, action in self.actions.items()}
        self.session_factory = session_factory
        self.engine = engine
        self.catalogue = catalogue
        self.config = config
        self.clock = clock

    async def handle(self, inc: Incoming) -> Response:
        if not inc.is_private:
            self.meter.update_handled(inc.platform, "group")
            return await self._group(inc)
        now = self.clock()
        try:
            async with self.session_factory() as session, session.begin():
                if inc.update_id is not None and not await claim_update(
                    session, inc.platform, inc.update_id, now
                ):
                    log.info("ignoring replayed %s update %s", inc.platform, inc.update_id)
                    self.meter.update_handled(inc.platform, "replayed")
                    return Response()
                # Several processes: one chat's events are handled one at a time (its conversation row).
                await lock_for_transaction(session, f"chat:{inc.platform}:{inc.chat_id}")
                ctx = await self._context(session, inc, now)
                replies = await self._route(ctx)
                ctx.notices = await _once_per_person(session, ctx.notices)
            for hook in ctx.after_commit:  # e.g. wake the outbox: only once the rows are committed
                if hook is not None:
                    hook()
            self.meter.update_handled(inc.platform, "answered")
            return Response(replies, ctx.notices, ctx.menu, ctx.edits)
        except buttons.StaleButton as stale:
            log.warning("ignoring %s update %s: button data %r (%s)",
                        inc.platform, inc.update_id, stale.data[:80], stale.reason)
            self.meter.update_handled(inc.platform, "stale_button")
            return Response(await self._after_failure(inc, now, texts.ERRORS[stale.key]))
        except UserFacingError as refusal:
            message = texts.refusal_text(refusal)
            self.meter.update_handled(inc.platform, "refused")
            return Response(await self._after_failure(inc, now, message, refusal.kept))
        except Exception as exc:
            log.exception("failed to handle %s update %s", inc.platform, inc.update_id)
            self.meter.update_handled(inc.platform, "failed")
            if is_database_error(exc):
                self.meter.database_error("updates")
            return Response(await self._after_failure(inc, now, texts.ERRORS["internal"]))

    async def act(self, person_id: int, work: DeskWork) -> Response:
        """Run `work` as person `person_id` from the web console, with the chat's own rules.

        One transaction, the same `Context` (actor, clock, notices to others, edits of their
        copies) as a button pressed in the chat, so the console never words or checks a rule
        twice. A refusal rolls back and raises `Refused` with the chat's sentence.
        """
        now = self.clock()
        inc = Incoming(platform=WEB, chat_id=f"person:{person_id}", user_id=f"person:{person_id}")
        try:
            async with self.session_factory() as session, session.begin():
                actor = await people.actor_of_person(session, person_id)
                ctx = Context(session, inc, actor, now, self.config, self.catalogue)
                replies = await work(ctx, self.engine)
                ctx.notices = await _once_per_person(session, ctx.notices)
        except UserFacingError as refusal:
            raise Refused(texts.refusal_text(refusal)) from refusal
        except InvalidAnswer as problem:  # a typed value checked by the chat's own answer type
            raise Refused(texts.ANSWER_ERRORS[problem.key].format(**problem.params)) from problem
        for hook in ctx.after_commit:
            if hook is not None:
                hook()
        return Response(replies, ctx.notices, None, ctx.edits)

    async def _context(self, session: AsyncSession, inc: Incoming, now: datetime) -> Context:
        actor = await people.load_actor(session, inc.platform, inc.user_id)
        if actor.person is not None and inc.event is None:  # writing again makes them reachable
            for identity in actor.person.identities:
                if identity.platform == inc.platform and identity.external_id == inc.user_id:
                    await people.mark_reachable(session, identity)
        return Context(session, inc, actor, now, self.config, self.catalogue)

    async def _after_failure(
        self, inc: Incoming, now: datetime, message: str, kept: KeptWrite | None = None
    ) -> list[Outgoing]:
        """The event's transaction was rolled back: claim its id, write what the refusal keeps
        (a wrong code tried), and re-ask the current step."""
        try:
            async with self.session_factory() as session, session.begin():
                if inc.update_id is not None:
                    await claim_update(session, inc.platform, inc.update_id, now)
                if kept is not None:
                    await kept(session)
                ctx = await self._context(session, inc, now)
                conv, _ = await self.engine.current(ctx)
                if conv is not None:
                    return [await self.engine.prompt(ctx, conv, prefix=message)]
        except Exception:
            log.exception("could not recover after a failed %s update", inc.platform)
        return [Outgoing(message)]

    async def _route(self, ctx: Context) -> list[Outgoing]:
        inc = ctx.incoming
        if inc.event is not None:
            return await self._event(ctx)
        if inc.text is not None and len(inc.text) > self.config.max_text_length:
            raise UserFacingError("message_too_long", length=len(inc.text), maximum=self.config.max_text_length)
        if inc.command is not None:
            return await self._command(ctx, inc.command)
        if inc.choice is not None and buttons.is_action(inc.choice):
            return await self._button(ctx, inc.choice)
        phrase = self.catalogue.find_phrase(inc.text) if inc.text and inc.choice is None else None
        refused = None
        if phrase is not None and not phrase.allowed(ctx.actor):
            phrase, refused = None, phrase  # they may just be words: a waiting question takes them
        if phrase is not None and phrase.in_flows:  # "hủy", "quay lại" typed as words
            return await self._phrase(ctx, phrase)
        conv, expired = await self.engine.current(ctx)
        if conv is not None:  # the step says what it needs (text, a photo...) if a sticker comes
            return await self.engine.answer(ctx, conv)
        prefix = [Outgoing(texts.FLOW["expired"])] if expired else []
        if phrase is not None:  # "báo cáo" typed as words, for people who do not type slashes
            return prefix + await self._phrase(ctx, phrase)
        if inc.choice is not None:  # an option of a question that is no longer asked
            return [*prefix, Outgoing(texts.ERRORS["stale_button"])]
        if _nothing_readable(inc):
            return [*prefix, Outgoing(texts.START["only_text"])]
        if not ctx.actor.registered and inc.text and invites.looks_like_code(inc.text):
            # A typed invite code works like `/start CODE` (people on Zalo cannot use deep links).
            return prefix + await join_with_code(ctx, self.engine, inc.text)
        return [*prefix, self._fallback(ctx, refused)]

    def _fallback(self, ctx: Context, refused: Command | None) -> Outgoing:
        """Words we do not act on: a command's words outside one's role say whom it is for
        ("đăng tin" from an officer), anything else points to /trogiup."""
        if refused is not None and ctx.actor.registered:
            return Outgoing(self._role_required(refused))
        key = "default_registered" if ctx.actor.registered else "default_unregistered"
        return Outgoing(texts.START[key])

    def _role_required(self, command: Command) -> str:
        """"Lệnh /dangtin dành cho quản trị viên cấp tỉnh.": the alias people know, whatever they typed."""
        return texts.ERRORS["role_required"].format(command=command.alias, roles=self.catalogue.role_labels(command))

    async def _command(self, ctx: Context, word: str) -> list[Outgoing]:
        command = self.catalogue.find(word)
        if command is None:
            raise UserFacingError("unknown_command", command=word[:32])
        if not command.allowed(ctx.actor):
            if not ctx.actor.registered:
                raise UserFacingError("not_registered")
            raise UserFacingError("role_required", command=command.alias, roles=self.catalogue.role_labels(command))
        if command.manages_flow:
            return await command.run(ctx, self.engine)
        before, _ = await self.engine.current(ctx)
        replies = await command.run(ctx, self.engine)
        if command.own_question and any(reply.choices for reply in replies):
            return replies  # a question of its own: asking the step again would take its numbers
        return await self._then_current_step(ctx, replies, before)

    async def _phrase(self, ctx: Context, command: Command) -> list[Outgoing]:
        ctx.incoming = replace(ctx.incoming, command=command.name, args=(), text=None)
        return await self._command(ctx, command.name)

    async def _button(self, ctx: Context, data: str) -> list[Outgoing]:
        """A button on a notice or a reminder: runs a command, or an action with the ids it carries."""
        command = buttons.command_of(data)
        if command is not None:
            word, args = command
            ctx.incoming = replace(ctx.incoming, command=word, args=args, choice=None)
            return await self._command(ctx, word)
        press = buttons.parse(data, self._arity)
        return await self._action(ctx, self.actions[press.prefix], press.ids)

    async def _action(self, ctx: Context, action: Action, ids: tuple[int, ...]) -> list[Outgoing]:
        """A button on a notice (e.g. accept a report): works in the middle of any flow."""
        if not ctx.actor.registered:
            raise UserFacingError("not_registered")
        before, _ = await self.engine.current(ctx)
        return await self._then_current_step(ctx, await action(ctx, self.engine, *ids), before)

    async def _then_current_step(self, ctx: Context, replies: list[Outgoing], before) -> list[Outgoing]:
        """After a command or button that left the person's flow alone, ask its step again."""
        conv, _ = await self.engine.current(ctx)
        if conv is not None and conv is before:
            replies.append(await self.engine.prompt(ctx, conv, prefix=texts.FLOW["still_on_step"]))
        return replies

    async def _event(self, ctx: Context) -> list[Outgoing]:
        inc = ctx.incoming
        if inc.event == "bot_blocked":
            await people.mark_unreachable(ctx.session, inc.platform, inc.user_id, ctx.now)
        return []

    async def _group(self, inc: Incoming) -> Response:
        """In groups and channels we keep only the chat itself (for broadcasts) and answer
        commands addressed to us; no message of theirs is stored."""
        if inc.event is not None:
            await self._chat_event(inc)
            return Response()
        if inc.command is None:
            return Response()
        if inc.platform != "telegram":
            # Zalo names no event for the bot joining a group yet (groups are in beta): a command
            # heard in a group records the group too, so that it can be linked to a unit.
            await self._chat_event(replace(inc, event="bot_seen"))
            command = self.catalogue.find(inc.command)
            if command is not None and command.name == "linkchat":
                return Response([Outgoing(texts.START["group_noted"])])
            return Response([Outgoing(texts.START["group_private_only"])])
        link = f"https://t.me/{self.config.bot_username}"
        return Response([Outgoing(texts.START["group"].format(link=link))])

    async def _chat_event(self, inc: Incoming) -> None:
        now = self.clock()
        try:
            async with self.session_factory() as session, session.begin():
                if inc.event == "bot_added":
                    await broadcast_chats.record_chat_added(
                        session, platform=inc.platform, chat_id=inc.chat_id, kind=inc.chat_type,
                        title=inc.chat_title, now=now,
                    )
                elif inc.event == "bot_seen":
                    await broadcast_chats.record_chat_seen(
                        session, platform=inc.platform, chat_id=inc.chat_id, kind=inc.chat_type, now=now
                    )
                elif inc.event == "bot_removed":
                    await broadcast_chats.record_chat_removed(
                        session, platform=inc.platform, chat_id=inc.chat_id, now=now
                    )
                elif inc.event == "chat_migrated" and inc.args:
                    await broadcast_chats.migrate_chat(
                        session, platform=inc.platform, old_chat_id=inc.chat_id, new_chat_id=inc.args[0], now=now
                    )
        except Exception:
            log.exception("could not record a %s change of %s", inc.event, chat_ref(inc.chat_id))


async def _once_per_person(session: AsyncSession, notices: list[Outgoing]) -> list[Outgoing]:
    """Each notice to the account its person chose (`linking`), and a person's copies only once."""
    routed: list[Outgoing] = []
    seen: set[tuple[str, str, str]] = set()
    for notice in notices:
        if notice.platform and notice.chat_id:
            platform, chat_id = await linking.preferred_chat(session, notice.platform, notice.chat_id)
            notice = replace(notice, platform=platform, chat_id=chat_id)
            if (platform, chat_id, notice.text) in seen:
                continue
            seen.add((platform, chat_id, notice.text))
        routed.append(notice)
    return routed


def _nothing_readable(inc: Incoming) -> bool:
    """No text, no photo or file, no choice: a sticker, a voice message, withheld content."""
    return inc.text is None and inc.command is None and inc.choice is None and not inc.attachments
