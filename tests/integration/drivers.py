"""One way to talk to the bot whatever the platform, so each end-to-end test runs on both.

A `ChatPerson` says things, chooses options and sends photos in their private chat with the
bot, and reads what the bot wrote since last time, as neutral entries: `text` (a photo's
caption counts), `photo` (truthy if there is one) and `options` (button labels on Telegram,
the numbered or listed lines on Zalo). Choosing presses the button on Telegram and types the
number (or the words, where options are not numbered) on Zalo, as people do.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from bot.channels.zalo.texts import ZALO
from bot.emulator.telegram import TelegramEmulator
from bot.emulator.zalo import ZaloEmulator
from bot.services.people import people
from broadcasts import approval as broadcasts

_NUMBERED = re.compile(r"^(\d+)\. (.+)$")
_LISTED = re.compile(r"^• (.+)$")


def zalo_id(n: int) -> str:
    """A Zalo-shaped id (20 hex digits) for the person numbered `n` in a test."""
    return f"5a{n:018d}"


def platform_id(platform: str, n: int) -> str:
    """The id person `n` has on `platform` (Telegram: the number itself)."""
    return str(n) if platform == "telegram" else zalo_id(n)


class ChatPerson:
    """A person in their private chat with the bot, on one platform."""

    platform: str
    user_id: str

    async def say(self, text: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    async def choose(self, label: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    async def send_photo(self, caption: str | None = None) -> list[dict[str, Any]]:
        raise NotImplementedError

    def new_messages(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def options(self) -> list[str]:
        """The options of the bot's latest message that offered any."""
        for entry in reversed(self.transcript()):
            if entry["options"]:
                return entry["options"]
        return []

    def transcript(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    @staticmethod
    def text(messages: list[dict[str, Any]]) -> str:
        return "\n---\n".join(m["text"] for m in messages)


class TelegramPerson(ChatPerson):
    platform = "telegram"

    def __init__(self, emulator: TelegramEmulator, user_id: int, name: str | None = None) -> None:
        self.emulator = emulator
        self.number = user_id
        self.user_id = str(user_id)
        if name is not None and user_id not in emulator._users:
            *family, given = name.split()
            emulator.add_user(user_id, given, last_name=" ".join(family) or None)
        self.seen = len(emulator.messages(user_id))

    async def say(self, text: str) -> list[dict[str, Any]]:
        await self.emulator.send_text(self.number, text)
        return self.new_messages()

    async def choose(self, label: str) -> list[dict[str, Any]]:
        """Press the button with this label on the latest bot message that has it."""
        for message in reversed(self.emulator.messages(self.number)):
            for row in message["buttons"]:
                for button in row:
                    if button["text"] == label:
                        await self.emulator.press_button(self.number, message["message_id"], button["data"])
                        return self.new_messages()
        raise AssertionError(f"no button {label!r} in chat {self.number}; offered {self.options()}")

    async def send_photo(self, caption: str | None = None) -> list[dict[str, Any]]:
        await self.emulator.send_photo(self.number, caption=caption)
        return self.new_messages()

    def new_messages(self) -> list[dict[str, Any]]:
        entries = self.transcript()
        fresh, self.seen = entries[self.seen :], len(entries)
        return fresh

    def transcript(self) -> list[dict[str, Any]]:
        return [
            {
                "text": m["text"] or m["caption"] or "",
                "photo": m["photo"],
                "options": [b["text"] for row in m["buttons"] for b in row],
            }
            for m in self.emulator.messages(self.number)
        ]


class ZaloPerson(ChatPerson):
    platform = "zalo"

    def __init__(
        self, emulator: ZaloEmulator, user_id: str, settle: Callable[[], Awaitable[None]], name: str | None = None
    ) -> None:
        self.emulator = emulator
        self.user_id = user_id
        self.settle = settle  # waits until the bot handled everything it accepted
        if name is not None and user_id not in emulator._users:
            emulator.add_user(user_id, name)
        self.seen = len(emulator.messages(user_id))

    async def say(self, text: str) -> list[dict[str, Any]]:
        await self.emulator.send_text(self.user_id, text)
        await self.settle()
        return self.new_messages()

    async def choose(self, label: str) -> list[dict[str, Any]]:
        """Type the option's number (or its words, where the options are not numbered)."""
        for entry in reversed(self.transcript()):
            for index, option in enumerate(entry["options"], 1):
                if label in (option, f"{index}. {option}"):
                    return await self.say(label if entry["listed"] else str(index))
        raise AssertionError(f"no option {label!r} in chat {self.user_id}; offered {self.options()}")

    async def send_photo(self, caption: str | None = None) -> list[dict[str, Any]]:
        await self.emulator.send_photo(self.user_id, caption=caption)
        await self.settle()
        return self.new_messages()

    async def send_sticker(self) -> list[dict[str, Any]]:
        await self.emulator.send_sticker(self.user_id)
        await self.settle()
        return self.new_messages()

    def new_messages(self) -> list[dict[str, Any]]:
        entries = self.transcript()
        fresh, self.seen = entries[self.seen :], len(entries)
        return fresh

    def transcript(self) -> list[dict[str, Any]]:
        return [_zalo_entry(m) for m in self.emulator.messages(self.user_id)]


def _zalo_entry(message: dict[str, Any]) -> dict[str, Any]:
    text = message["text"] or message["caption"] or ""
    return {"text": text, "photo": message["photo_url"], **_options_block(text)}


def _options_block(text: str) -> dict[str, Any]:
    """The options listed just above the footer ("Gõ số để chọn."), numbered or bulleted."""
    lines = text.splitlines()
    for footer, pattern, listed in ((ZALO["choose_number"], _NUMBERED, False), (ZALO["choose_words"], _LISTED, True)):
        if footer not in lines:
            continue
        options: list[str] = []
        for line in reversed(lines[: len(lines) - 1 - lines[::-1].index(footer)]):
            match = pattern.match(line)
            if match is None:
                break
            options.insert(0, match.group(match.lastindex))
        return {"options": options, "listed": listed}
    return {"options": [], "listed": False}


async def submit_report(officer: ChatPerson, period: str = "Tháng 11/2026", *, photo: bool = False) -> None:
    """The commune's report for the offered period whose label starts with `period`, filled with
    the same answers (and, if asked, a photo at the photo step) and sent through the chat."""
    await officer.say("/baocao")
    await officer.choose(next(o for o in officer.options() if o.startswith(period)))
    for answer in ("12", "350"):
        await officer.say(answer)
    await officer.choose("Trọng tâm: Nghị quyết Đại hội XIII và đại hội các cấp")
    await officer.choose("Xong")
    for answer in ("1, 2", "7", "1", "0", "Bà con đồng tình, phấn khởi."):
        await officer.say(answer)
    await officer.choose("Bỏ qua")
    if photo:
        received = await officer.send_photo()
        assert "Đã nhận 1 ảnh." in officer.text(received)
        await officer.choose("Xong")
    else:
        await officer.choose("Bỏ qua")
    sent = await officer.choose("Gửi báo cáo")
    assert "Đã gửi báo cáo " + period.split(" (")[0] in sent[-1]["text"]


async def approve_and_send(session_factory, *, platform: str, author: str, approver: str,
                           audience: broadcasts.Audience, text: str, now) -> int:
    """Content written by one province admin and approved by another (their chat ids on `platform`),
    sent at once: its broadcast id. The outbox still has to be woken."""
    async with session_factory() as session, session.begin():
        writer = await people.load_actor(session, platform, author)
        checker = await people.load_actor(session, platform, approver)
        item = await broadcasts.create(session, writer, text=text, audience=audience, now=now)
        await broadcasts.submit(session, writer, item.id, now=now)
        await broadcasts.approve(session, checker, item.id, now=now)
        await broadcasts.send_now(session, checker, item.id, now=now)
        return item.id
