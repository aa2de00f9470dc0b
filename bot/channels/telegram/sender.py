"""Sending to Telegram: render neutral `Outgoing`, map PTB errors onto our taxonomy."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from datetime import timedelta

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram import error as tg_error
from telegram.constants import ParseMode
from telegram.warnings import PTBDeprecationWarning

from bot.core.messages import Choice, CommandMenuEntry, Outgoing
from bot.core.sending import ChatMigrated, RecipientGone, Rejected, SendError, Throttled, Transient
from broadcasts.text import split_html, split_text

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
SHORT_LABEL = 16  # labels up to this length sit two to a row


def keyboard(choices: Sequence[Choice]) -> InlineKeyboardMarkup | None:
    """Buttons for choices: two per row when labels are short, else one per row."""
    if not choices:
        return None
    buttons = [InlineKeyboardButton(c.label, callback_data=c.value) for c in choices]
    per_row = 2 if all(len(c.label) <= SHORT_LABEL for c in choices) else 1
    return InlineKeyboardMarkup([buttons[i : i + per_row] for i in range(0, len(buttons), per_row)])


def retry_after_seconds(exc: tg_error.RetryAfter) -> float:
    """Seconds to wait, whether PTB hands back an int or (PTB_TIMEDELTA) a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def map_error(exc: tg_error.TelegramError) -> SendError:
    """One place that knows PTB's exception classes (order matters: BadRequest ⊂ NetworkError)."""
    message = str(exc)
    if isinstance(exc, tg_error.RetryAfter):
        return Throttled(message, retry_after_seconds(exc))
    if isinstance(exc, tg_error.ChatMigrated):
        return ChatMigrated(message, str(exc.new_chat_id))
    if isinstance(exc, tg_error.Forbidden):
        return RecipientGone(message)
    if isinstance(exc, tg_error.BadRequest):
        if "chat not found" in message.lower():
            return RecipientGone(message)
        return Rejected(message)
    if isinstance(exc, tg_error.InvalidToken):
        return Rejected(message)
    return Transient(message)


class TelegramSender:
    """Implements `bot.core.sending.Sender` over a python-telegram-bot `Bot`."""

    platform = "telegram"

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: str, message: Outgoing) -> str:
        try:
            return await self._send(chat_id, message)
        except tg_error.TelegramError as exc:
            raise map_error(exc) from exc

    async def _send(self, chat_id: str, message: Outgoing) -> str:
        markup = keyboard(message.choices)
        media = message.photo or message.document
        if media is not None and len(message.text) <= CAPTION_LIMIT:
            return await self._send_media(chat_id, message, message.text, markup)
        split = split_html if message.html else split_text
        parts = split(message.text, TEXT_LIMIT) if message.text else []
        sent_id = ""
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            sent = await self.bot.send_message(
                chat_id=chat_id, text=part, reply_markup=markup if last and media is None else None,
                parse_mode=ParseMode.HTML if message.html else None,
            )
            sent_id = str(sent.message_id)
        if media is not None:
            sent_id = await self._send_media(chat_id, message, None, markup)
        return sent_id

    async def _send_media(self, chat_id: str, message: Outgoing, caption, markup) -> str:
        parse_mode = ParseMode.HTML if message.html and caption else None
        if message.photo is not None:
            sent = await self.bot.send_photo(
                chat_id=chat_id, photo=message.photo.data, filename=message.photo.file_name, caption=caption,
                reply_markup=markup, parse_mode=parse_mode,
            )
        else:
            sent = await self.bot.send_document(
                chat_id=chat_id,
                document=message.document.data,
                filename=message.document.file_name,
                caption=caption,
                reply_markup=markup,
                parse_mode=parse_mode,
            )
        return str(sent.message_id)

    async def edit(self, chat_id: int, message_id: int, message: Outgoing) -> None:
        """Rewrite a message we sent: its text (HTML if `message.html`) and its buttons; a photo's
        caption when the message has no text (a notice sent with a picture)."""
        markup, mode = keyboard(message.choices), ParseMode.HTML if message.html else None
        try:
            try:
                await self.bot.edit_message_text(
                    chat_id=chat_id, message_id=message_id, text=message.text, reply_markup=markup, parse_mode=mode,
                )
            except tg_error.BadRequest as exc:
                if "no text" not in str(exc).lower():
                    raise
                await self.bot.edit_message_caption(
                    chat_id=chat_id, message_id=message_id, caption=message.text, reply_markup=markup, parse_mode=mode,
                )
        except tg_error.TelegramError as exc:
            raise map_error(exc) from exc

    async def delete(self, chat_id: int, message_id: int) -> None:
        """Delete a message (a person's own, in a private chat: Telegram allows it within 48 hours)."""
        try:
            await self.bot.delete_message(chat_id=chat_id, message_id=message_id)
        except tg_error.TelegramError as exc:
            raise map_error(exc) from exc

    async def remove_buttons(self, chat_id: int, message_id: int) -> None:
        """Take a message's buttons away (a photo whose caption is not ours to rewrite)."""
        try:
            await self.bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=None)
        except tg_error.TelegramError as exc:
            raise map_error(exc) from exc

    async def set_commands(self, chat_id: str | None, commands: Sequence[CommandMenuEntry]) -> None:
        """The command menu of one chat (or the default menu when chat_id is None)."""
        scope = BotCommandScopeDefault() if chat_id is None else BotCommandScopeChat(int(chat_id))
        try:
            if commands:
                await self.bot.set_my_commands(
                    [BotCommand(c.command, c.description) for c in commands], scope=scope
                )
            else:
                await self.bot.delete_my_commands(scope=scope)
        except tg_error.TelegramError as exc:
            raise map_error(exc) from exc
