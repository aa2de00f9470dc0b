"""Asking Telegram who our bot is (for invite links printed outside the running service)."""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import TelegramError

log = logging.getLogger(__name__)


async def fetch_username(token: str, base_url: str) -> str | None:
    try:
        async with Bot(token, base_url=base_url) as bot:
            return bot.username
    except TelegramError as exc:
        log.warning("could not ask Telegram for the bot's username: %s", exc)
        return None
