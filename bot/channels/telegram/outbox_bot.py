"""The outbox's own Telegram Bot: aiohttp transport, every sending call paced, no silent retries.

Both Bots of a token, the interactive one (`channel.py`) and this one, pace every sending call
through the token's one `broadcasts.limits.SendBudget` (`BudgetRateLimiter`, per call, so the
parts of a long text are paced one by one). They differ in priority and in what a 429 does:
a reply is interactive and is retried after the pause (a person waits for it); a broadcast's
call is not, and its 429 goes back to the outbox, which must see every one to keep its ledger
honest. Either way the whole budget pauses, as Telegram asks of the bot.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Bot
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter, ExtBot

from bot.channels.telegram.aiohttp_request import AiohttpRequest
from bot.channels.telegram.sender import TelegramSender, retry_after_seconds
from broadcasts.limits import SendBudget

# Methods that post into a chat and count against Telegram's flood limits.
PACED_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendVideo",
        "sendAudio",
        "sendAnimation",
        "sendVoice",
        "sendMediaGroup",
        "sendPoll",
        "sendLocation",
        "copyMessage",
        "forwardMessage",
    }
)

# Methods that accept allow_paid_broadcast (Bot API 7.11+).
PAID_METHODS = PACED_METHODS - {"forwardMessage"}


class BudgetRateLimiter(BaseRateLimiter[None]):
    """Holds a `SendBudget` slot around each sending call; never swallows errors.

    `interactive`: the calls answer people (replies, notices, reminders) and go first; a 429 is
    retried up to `retries` times after the pause it asks for. The outbox's calls retry nothing.
    """

    def __init__(
        self, budget: SendBudget, *, interactive: bool = False, retries: int = 0,
        on_throttled: Callable[[], None] | None = None,
    ) -> None:
        self.pacer = budget
        self.interactive = interactive
        self.retries = retries
        self.on_throttled = on_throttled  # counts each 429 (metrics); the outbox counts its own

    async def initialize(self) -> None:
        """Nothing to set up: the budget lives as long as the composition root keeps it."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        if endpoint not in PACED_METHODS or chat_id is None:
            return await callback(*args, **kwargs)
        if self.pacer.limits.paid_broadcast and endpoint in PAID_METHODS:
            # Above 30 msg/s Telegram charges Stars, and only when each message says so
            # (`data` is the very dict the request is built from).
            data["allow_paid_broadcast"] = True
        key = str(chat_id)
        attempt = 0
        while True:
            # Telegram's ids: groups, supergroups and channels are negative, private chats positive.
            try:
                async with self.pacer.slot(key, group=key.startswith("-"), interactive=self.interactive):
                    return await callback(*args, **kwargs)
            except RetryAfter as exc:
                self.pacer.pause(retry_after_seconds(exc))
                if self.on_throttled is not None:
                    self.on_throttled()
                if attempt >= self.retries:
                    raise
                attempt += 1




def build_outbox_bot(
    token: str,
    *,
    base_url: str,
    pacer: SendBudget,
    connection_pool_size: int = 256,
    read_timeout: float = 10.0,
    connect_timeout: float = 5.0,
) -> Bot:
    """A Bot for broadcasts; paced when `pacer.enabled`, a plain fast Bot otherwise.

    Call `await bot.initialize()` before use (it asks getMe) and `await bot.shutdown()` after.
    """
    request = AiohttpRequest(
        connection_pool_size=connection_pool_size,
        read_timeout=read_timeout,
        write_timeout=read_timeout,
        connect_timeout=connect_timeout,
        pool_timeout=read_timeout,
    )
    updates_request = AiohttpRequest(connection_pool_size=1)  # never polls; avoids building an httpx client
    base_file_url = base_url.replace("/bot", "/file/bot", 1)
    if not pacer.enabled:
        return Bot(
            token,
            base_url=base_url,
            base_file_url=base_file_url,
            request=request,
            get_updates_request=updates_request,
        )
    return ExtBot(
        token,
        base_url=base_url,
        base_file_url=base_file_url,
        request=request,
        get_updates_request=updates_request,
        rate_limiter=BudgetRateLimiter(pacer),
    )


def build_outbox_sender(token: str, *, base_url: str, pacer: SendBudget, **options: Any) -> TelegramSender:
    """The outbox's `Sender` for Telegram (see `build_outbox_bot` for the options and lifecycle)."""
    return TelegramSender(build_outbox_bot(token, base_url=base_url, pacer=pacer, **options))
