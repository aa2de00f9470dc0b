"""Test helpers shared by several test packages (not fixtures: plain classes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count

from bot.core.messages import Incoming, Outgoing, Response
from bot.services.people.units import UnitRow
from handlers.dispatch import Dispatcher

UPDATE_IDS = count(1)

# A small province with two districts, three communes: the feature tests' unit tree.
TWO_DISTRICTS = [
    UnitRow("86", "Tỉnh Vĩnh Long", "tỉnh", None),
    UnitRow("D1", "Huyện Một", "huyện", "86"),
    UnitRow("C1", "Xã Một", "xã", "D1"),
    UnitRow("C2", "Xã Hai", "xã", "D1"),
    UnitRow("D2", "Huyện Hai", "huyện", "86"),
    UnitRow("C3", "Xã Ba", "xã", "D2"),
]


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



@dataclass(frozen=True)
class Press:
    """A button pressed while filling a form (anything else is typed)."""

    label: str


# The default form's answers as an officer gives them in the chat, one tuple per question.
MONTH_ANSWERS: tuple[tuple[str | Press, ...], ...] = (
    ("12",),  # 1. sessions
    ("350",),  # 2. people reached
    (Press("Trọng tâm: Kết luận 21-KL/TW, xây dựng, chỉnh đốn Đảng"), Press("Xong")),  # 3. topics
    ("1, 4",),  # 4. channels
    ("7",), ("1",), ("0",),  # 5.-7. figures
    ("Nhân dân phấn khởi, đồng tình với chủ trương.",),  # 8. the public mood
    (Press("Bỏ qua"),), (Press("Bỏ qua"),),  # 9. proposals, 10. photos
)


async def open_report(officer: ChatUser, period_index: int = 1) -> None:
    """/baocao, then the period at this place in the offered list (1: the current month)."""
    await officer.send("/baocao")
    await officer.choose(officer.last.replies[0].choices[period_index].label)


async def fill_report(officer: ChatUser, *, sessions: str = "12", questions: int = len(MONTH_ANSWERS)) -> None:
    """Answer the default form's first `questions` questions through the chat (all of them: up to
    the summary, nothing submitted), so no test repeats the form's answers."""
    for number, actions in enumerate(MONTH_ANSWERS[:questions], start=1):
        for action in (sessions,) if number == 1 else actions:
            if isinstance(action, Press):
                await officer.choose(action.label)
            else:
                await officer.send(action)
