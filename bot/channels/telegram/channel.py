"""The Telegram channel: a python-telegram-bot `Application` driven by our dispatcher.

PTB does the HTTP, parsing and (in polling mode) the update loop; every update goes through
one `TypeHandler` into the neutral dispatcher. In webhook mode our aiohttp server receives the
update, checks the secret in constant time and processes it before answering, so Telegram
re-delivers anything we did not finish. A body that is not an update object (see
`bot.channels.json_body`) is answered 400: Telegram never sends one, and nothing can come of it.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiohttp import web
from telegram import CallbackQuery, Update
from telegram import error as tg_error
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.channels.json_body import BadBody, json_object
from bot.channels.telegram.convert import to_incoming
from bot.channels.telegram.outbox_bot import BudgetRateLimiter
from bot.channels.telegram.pressed import Pressed, can_replace, pressed_of
from bot.channels.telegram.sender import TelegramSender
from bot.core.channel import Handle
from bot.core.log_ref import chat_ref
from bot.core.messages import CommandMenuEntry, Edit, Outgoing, Response
from bot.core.sending import SendError
from broadcasts.limits import SendBudget

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
REPLY_RETRIES = 3  # a reply answered 429 is sent again after the pause, up to this many times


class TelegramChannel:
    """Owns the PTB `Application`; started and stopped by the composition root."""

    platform = "telegram"

    def __init__(
        self,
        *,
        token: str,
        base_url: str,
        handle: Handle,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        default_menu: tuple[CommandMenuEntry, ...] = (),
        budget: SendBudget | None = None,
        on_throttled: Callable[[], None] | None = None,
    ) -> None:
        """`budget`: the token's one sending budget, shared with the outbox (replies go first and
        retry a 429 after its pause); without one, PTB's own `AIORateLimiter`. `on_throttled`:
        told of each 429 a reply gets (metrics)."""
        self.handle = handle
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.default_menu = default_menu
        builder = (
            ApplicationBuilder()
            .token(token)
            .base_url(base_url)
            .base_file_url(base_url.replace("/bot", "/file/bot", 1))
            .rate_limiter(
                AIORateLimiter(max_retries=3)
                if budget is None
                else BudgetRateLimiter(budget, interactive=True, retries=REPLY_RETRIES, on_throttled=on_throttled)
            )
        )
        if webhook_url:
            builder = builder.updater(None)
        self.application: Application = builder.build()
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        self.sender = TelegramSender(self.application.bot)

    @property
    def bot_username(self) -> str:
        return self.application.bot.username

    async def connect(self) -> str:
        """getMe, before any update is taken; returns the bot's username (the root configures with it)."""
        await self.application.initialize()  # idempotent
        return self.bot_username

    async def ping(self) -> None:
        """getMe again (for /readyz): raises when Telegram does not answer."""
        await self.application.bot.get_me()

    async def start(self) -> None:
        """Connect, show the default menu, then poll or register the webhook."""
        app = self.application
        await self.connect()
        await app.start()
        try:
            await self.sender.set_commands(None, self.default_menu)
        except SendError as exc:
            log.warning("could not set the default command menu: %s", exc)
        if self.webhook_url:
            await app.bot.set_webhook(
                url=self.webhook_url,
                secret_token=self.webhook_secret,
                allowed_updates=["message", "callback_query", "my_chat_member"],
            )
            log.info("telegram: webhook mode")
        else:
            await app.updater.start_polling(poll_interval=0.0, timeout=10, drop_pending_updates=False)
            log.info("telegram: polling mode")

    async def stop(self) -> None:
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    async def fetch_file(self, file_id: str) -> bytes:
        """The bytes of a photo or document a person sent (to broadcast it again)."""
        telegram_file = await self.application.bot.get_file(file_id)
        return bytes(await telegram_file.download_as_bytearray())

    async def handle_webhook(self, request: web.Request) -> web.Response:
        """aiohttp route for Telegram's webhook calls."""
        given = request.headers.get(SECRET_HEADER, "")
        if not self.webhook_secret or not hmac.compare_digest(given.encode(), self.webhook_secret.encode()):
            return web.Response(status=403)
        try:
            update = self._update(json_object(await request.read()))
        except BadBody as refused:
            log.warning("telegram: webhook body refused: %s", refused)
            return web.Response(status=400)
        await self.application.process_update(update)
        if update.callback_query is not None:
            # Telegram runs a method given in the webhook's response: the press is answered
            # without an API call of its own (one call less per press, and nothing to pace).
            return web.json_response({"method": "answerCallbackQuery", "callback_query_id": update.callback_query.id})
        return web.Response(status=200)

    def _update(self, data: dict[str, Any]) -> Update:
        """The `Update` in a JSON object; `BadBody` when it is not one."""
        update_id = data.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            raise BadBody("no integer update_id")
        try:
            return Update.de_json(data, self.application.bot)
        except Exception as exc:  # PTB's parser is no validator: a wrong shape fails in many ways
            raise BadBody(f"not an update ({exc.__class__.__name__})") from None

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        pressed = None
        if update.callback_query is not None:
            pressed = pressed_of(update.callback_query)
            if not self.webhook_url:  # in webhook mode the answer rides on the webhook's response
                await self._answer_press(update.callback_query)
        incoming = to_incoming(update, self.bot_username)
        if incoming is None:
            return
        if pressed is None:
            sent = update.message  # the person's message, which a reply may ask to delete (`if_deleted`)

            async def deliver_to_message(chat_id: str, response: Response) -> None:
                await self.deliver(chat_id, response, answered=sent.message_id if sent is not None else None)

            await self.handle(incoming, deliver_to_message)
            return
        delivered = False

        async def deliver_after_press(chat_id: str, response: Response) -> None:
            nonlocal delivered
            delivered = True
            await self.deliver(chat_id, response, pressed=pressed)

        await self.handle(incoming, deliver_after_press)
        if not delivered:  # nothing to answer: the buttons still go
            await self._show_chosen(pressed)

    async def deliver(
        self, chat_id: str, response: Response, *, pressed: Pressed | None = None, answered: int | None = None
    ) -> None:
        """Send the replies in order, then the menu (notices are the root's to route).

        After a press the pressed message is edited first, once: to show what was chosen, or
        to become the first reply when that reply takes its place (`Outgoing.replaces_pressed`).
        A reply that asks for the person's message `answered` to be deleted (`Outgoing.if_deleted`)
        has it deleted first, and then says so.
        """
        replies = await self._delete_answered(chat_id, list(response.replies), answered)
        if pressed is not None:
            if replies and can_replace(replies[0], pressed):
                await self._edit_pressed(pressed, replies.pop(0))
            else:
                await self._show_chosen(pressed)
        for reply in replies:
            try:
                await self.sender.send(chat_id, reply)
            except SendError as exc:
                log.warning("telegram: reply to %s failed: %s", chat_ref(chat_id), exc)
                break
        if response.menu is not None:
            try:
                await self.sender.set_commands(chat_id, response.menu)
            except SendError as exc:
                log.warning("telegram: menu for %s not set: %s", chat_ref(chat_id), exc)

    async def _delete_answered(self, chat_id: str, replies: list[Outgoing], answered: int | None) -> list[Outgoing]:
        """Delete the message the replies answer if one of them asks (a Page token); on success
        those replies say it was deleted, else they keep asking the person to delete it."""
        if answered is None or not any(reply.if_deleted for reply in replies):
            return replies
        try:
            await self.sender.delete(int(chat_id), answered)
        except SendError as exc:
            log.warning("telegram: could not delete message %s in %s: %s", answered, chat_ref(chat_id), exc)
            return replies
        return [replace(reply, text=reply.if_deleted, if_deleted=None) if reply.if_deleted else reply
                for reply in replies]

    async def send_notice(self, chat_id: str, message: Outgoing) -> str | None:
        """A notice: its buttons work whenever they are pressed, so it is sent like any message."""
        try:
            return await self.sender.send(chat_id, message)
        except SendError as exc:
            log.warning("telegram: notice to %s failed: %s", chat_ref(chat_id), exc)
            return None

    async def edit(self, edit: Edit) -> None:
        try:
            await self.sender.edit(int(edit.chat_id), int(edit.message_id), Outgoing(edit.text))
        except SendError as exc:
            log.info("telegram: could not edit message %s in %s: %s", edit.message_id, chat_ref(edit.chat_id), exc)

    async def _show_chosen(self, pressed: Pressed) -> None:
        """The question keeps its text plus "✓ <label>"; its buttons go, so it can't be pressed again."""
        text = pressed.chosen_text()
        if text is None:
            await self._edit(self.sender.remove_buttons(pressed.chat_id, pressed.message_id))
        else:
            await self._edit_pressed(pressed, Outgoing(text, html=True))

    async def _edit_pressed(self, pressed: Pressed, message: Outgoing) -> None:
        await self._edit(self.sender.edit(pressed.chat_id, pressed.message_id, message))

    async def _edit(self, edit: Awaitable[None]) -> None:
        try:
            await edit
        except SendError as exc:
            log.info("telegram: could not edit a pressed message: %s", exc)

    async def _answer_press(self, query: CallbackQuery) -> None:
        """Stop the button's spinner (polling mode: a call of its own)."""
        try:
            await query.answer()
        except tg_error.TelegramError as exc:
            log.info("telegram: could not answer a button press: %s", exc)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram: unhandled error", exc_info=context.error)
