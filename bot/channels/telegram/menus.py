"""Setting one person's command menu from outside the running service (the command line).

The running service sets a menu whenever a conversation changes someone's roles; a role granted
from the command line (`python -m bot admin add`) changes nothing in a conversation, so the CLI
sets the menu itself, with a short-lived `Bot` on the same token.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Bot
from telegram.error import TelegramError

from bot.channels.telegram.sender import TelegramSender, map_error
from bot.core.messages import CommandMenuEntry


async def set_chat_menu(token: str, base_url: str, chat_id: str, menu: Sequence[CommandMenuEntry]) -> None:
    """Show `menu` in this private chat; raises `bot.core.sending.SendError` when Telegram refuses
    (e.g. "chat not found": the person has never written to the bot) or cannot be reached."""
    try:
        async with Bot(token, base_url=base_url) as bot:
            await TelegramSender(bot).set_commands(chat_id, menu)
    except TelegramError as exc:  # getMe on entering: a bad token, or Telegram unreachable
        raise map_error(exc) from exc
