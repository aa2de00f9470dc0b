"""Test helpers shared by several test packages (not fixtures: plain classes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count

from bot.core.messages import Incoming, Outgoing, Response
from handlers.dispatch import Dispatcher

UPDATE_IDS = count(1)


@dataclass
class FakeClock:
    """A clock tests move by hand."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class ChatUser:
    """Someone talking to the dispatcher in a private chat, as a channel adapter would."""

    dispatcher: Dispatcher
    user_id: str
    platform: str = "telegram"
    updates: count = field(default_factory=lambda: UPDATE_IDS)
    last: Response = field(default_factory=Response)

    async def send(self, text: str | None = None, *, choice: str | None = None, update_id: str | None = None,
                   **extra) -> list[Outgoing]:
        command, args = None, ()
        if text is not None and text.startswith("/"):
            word, *rest = text[1:].split()
            command, args, text = word.lower(), tuple(rest), None
        incoming = Incoming(
            platform=self.platform,
            chat_id=self.user_id,
            user_id=self.user_id,
            text=text,
            command=command,
            args=args,
            choice=choice,
            update_id=update_id or f"u{next(self.updates)}",  # like Telegram: ids say nothing of the user
            **extra,
        )
        self.last = await self.dispatcher.handle(incoming)
        return self.last.replies

    async def choose(self, label: str) -> list[Outgoing]:
        """Press the button with this label on the last message that offered choices."""
        offered = [c for reply in self.last.replies for c in reply.choices]
        for choice in offered:
            if choice.label == label:
                return await self.send(choice=choice.value)
        raise AssertionError(f"no button {label!r}; offered: {[c.label for c in offered]}")

    @property
    def text(self) -> str:
        return "\n---\n".join(r.text for r in self.last.replies)
