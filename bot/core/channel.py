"""What every chat channel (Telegram, Zalo, and the next one) offers the composition root.

A channel turns platform updates into `Incoming` events and delivers `Response`s; it does not
know the dispatcher, nor where notices to other people go. For each event it calls the one
`Handle` the root gave it, passing its own `deliver`: the root answers the event, has the
replies delivered to the sender's chat, and routes the notices itself (to each person's
preferred account), so a notice is routed once, in one place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

from bot.core.messages import Edit, Incoming, Outgoing, Response

Deliver = Callable[[str, Response], Awaitable[None]]  # (chat id, response) -> sent
Handle = Callable[[Incoming, Deliver], Awaitable[None]]  # built by the root, called per event


@runtime_checkable
class Channel(Protocol):
    """A running chat platform, started and stopped by the composition root."""

    platform: str

    async def start(self) -> None:
        """Connect, pick up what a previous run left, then receive updates."""

    async def stop(self) -> None:
        """Stop receiving; finish or keep (on disk) what is in flight."""

    async def deliver(self, chat_id: str, response: Response) -> None:
        """Send the response's replies (and menu, where the platform has one) to `chat_id`."""

    async def send_notice(self, chat_id: str, message: Outgoing) -> str | None:
        """Send a message nobody asked for just now (a notice); the platform's id for it, or None
        when it could not be sent. A notice never takes over the chat's open question."""

    async def edit(self, edit: Edit) -> None:
        """Change a message sent earlier (new text, no buttons); a platform without edits skips it."""

    async def fetch_file(self, file_id: str) -> bytes:
        """The bytes of a photo or document a person sent."""
