"""One small sending protocol for every platform, and one taxonomy of send errors.

Adapters raise these errors; broadcasts, reminders and handlers only ever see them, never a
platform's exception classes (STYLE.md, practice 5).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.core.messages import CommandMenuEntry, Outgoing


class SendError(Exception):
    """A message could not be sent. `retryable` says whether trying again can help."""

    retryable = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Throttled(SendError):
    """The platform asked us to slow down for `retry_after` seconds (HTTP 429)."""

    retryable = True

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Transient(SendError):
    """Network trouble, a timeout or a server error: try again later."""

    retryable = True


class RecipientGone(SendError):
    """Blocked, deactivated or kicked: this chat is unreachable until it writes again."""


class Rejected(SendError):
    """The platform refused the message itself (bad request): retrying will not help."""


class ChatMigrated(SendError):
    """A Telegram group became a supergroup: resend to `new_chat_id`."""

    retryable = True

    def __init__(self, reason: str, new_chat_id: str) -> None:
        super().__init__(reason)
        self.new_chat_id = new_chat_id


class Sender(Protocol):
    """What a channel adapter offers to the rest of the system."""

    platform: str

    async def send(self, chat_id: str, message: Outgoing) -> str:
        """Deliver one message; return the platform's message id (of the last part sent)."""

    async def set_commands(self, chat_id: str, commands: Sequence[CommandMenuEntry]) -> None:
        """Show this chat the commands its person may use (no-op where unsupported)."""
