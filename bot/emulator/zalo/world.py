"""The fake Zalo world: people, chats, every message both ways, and the transcript tests read.

Ids are strings of hex digits and dates are milliseconds, as on Zalo. Each stored message gets
a sequence number (`seq`), so readers (tests, the demo page) can ask for "what came after".
One condition wakes every waiter (long polls, `wait_for`, the demo page) on any change.
"""

from __future__ import annotations

import base64
import secrets
import time

from bot.emulator import common
from bot.emulator.zalo.wire import JSON

# A valid 1x1 PNG: what a person "sends" as a photo unless told otherwise.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


class EmulatorError(common.EmulatorError):
    """A scripted action is impossible in the fake world (unknown user, ...)."""


def new_id() -> str:
    """An id shaped like Zalo's: 20 hex digits."""
    return secrets.token_hex(10)


def now_ms() -> int:
    return int(time.time() * 1000)


class World(common.Changes):
    """People, chats and messages, plus public records of everything the bot did."""

    def __init__(self, bot_user: JSON) -> None:
        super().__init__()  # one condition wakes every waiter on any change
        self.bot_user = bot_user
        self.calls: list[tuple[str, JSON]] = []  # every Bot API call, in order
        self.webhook_responses: list[int | None] = []  # None: the webhook could not be reached
        self._users: dict[str, JSON] = {}
        self._chats: dict[str, JSON] = {}
        self._blocked: set[str] = set()
        self._log: dict[str, list[JSON]] = {}  # chat id -> messages, oldest first
        self._seq = 0
        self._files: dict[str, bytes] = {}  # people's photos, served under /_emu/files/
        self._bot_groups: set[str] = set()  # groups the bot sits in
        self._titles: dict[str, str | None] = {}  # group id -> its name

    # ------------------------------------------------------------------ people and chats

    def add_user(self, user_id: str | None = None, display_name: str = "Người dùng") -> JSON:
        """A person and their private chat with the bot (chat id == user id, as Zalo does)."""
        user_id = str(user_id or new_id())
        user = {"id": user_id, "display_name": display_name, "is_bot": False}
        self._users[user_id] = user
        self._chats[user_id] = {"id": user_id, "chat_type": "PRIVATE"}
        return user

    def add_group(self, chat_id: str | None = None, *, title: str | None = None, with_bot: bool = True) -> JSON:
        """A group chat (Zalo's groups are in beta: the bot hears replies and @mentions only).

        `with_bot`: the bot sits in it already (no event); `People.add_bot_to_group` adds it with one."""
        chat = {"id": str(chat_id or new_id()), "chat_type": "GROUP"}
        self._chats[chat["id"]] = chat
        self._titles[chat["id"]] = title
        if with_bot:
            self._bot_groups.add(chat["id"])
        return chat

    def bot_in_group(self, chat_id: str) -> bool:
        return str(chat_id) in self._bot_groups

    def block_bot(self, user_id: str) -> None:
        """Later sends to the person fail (403). Zalo sends the bot no event about it."""
        self._user(user_id)
        self._blocked.add(str(user_id))

    def unblock_bot(self, user_id: str) -> None:
        self._blocked.discard(str(user_id))

    def _user(self, user_id: str) -> JSON:
        if str(user_id) not in self._users:
            raise EmulatorError(f"unknown user {user_id}: call add_user() first")
        return self._users[str(user_id)]

    def _chat(self, chat_id: str) -> JSON:
        if str(chat_id) not in self._chats:
            raise EmulatorError(f"unknown chat {chat_id}")
        return self._chats[str(chat_id)]

    # ------------------------------------------------------------------ the transcript

    def messages(self, chat_id: str, *, from_bot: bool | None = True) -> list[JSON]:
        """Transcript of a chat: the bot's messages (True), the people's (False) or all (None)."""
        return [
            dict(m) for m in self._log.get(str(chat_id), []) if from_bot is None or m["from_bot"] == from_bot
        ]

    def texts(self, chat_id: str) -> list[str]:
        """What the bot wrote to the chat (a photo's caption counts), in order."""
        return [m["text"] or m["caption"] or "" for m in self.messages(chat_id)]

    async def wait_for_messages(self, chat_id: str, count: int, *, timeout: float | None = None) -> list[JSON]:  # noqa: ASYNC109
        """Wait until the bot has sent at least `count` messages to the chat; returns all of them."""
        if await self.wait_for(lambda: len(self.messages(chat_id)) >= count, timeout=timeout):
            return self.messages(chat_id)
        raise TimeoutError(
            f"stopped waiting for {count} bot message(s) in chat {chat_id}; got {self.texts(chat_id)}"
        )

    async def _store(self, chat: JSON, sender: JSON, content: JSON, *, event_name: str | None = None) -> JSON:
        self._seq += 1
        entry = {
            "message_id": new_id(),
            "seq": self._seq,
            "chat_id": chat["id"],
            "from_bot": sender.get("is_bot", False),
            "from_id": sender["id"],
            "event_name": event_name,
            "text": None,
            "caption": None,
            "photo_url": None,
            "sticker": None,
            "date": now_ms(),
            # What the demo page (shared with the Telegram emulator) expects: Zalo has no buttons.
            "buttons": [],
            "photo": None,
            "document": None,
            "edited": False,
            "rev": self._seq,
            **content,
        }
        self._log.setdefault(chat["id"], []).append(entry)
        await self._notify()
        return entry
