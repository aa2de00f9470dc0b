"""The fake world: people, groups and channels, the messages they and the bot exchange, the files.

``World`` is the state every other part of the emulator works on, and the transcript tests read back.
Messages are stored as the real Message objects the Bot API returns; each change bumps a revision
number so readers also notice edits. One condition wakes every waiter (long polls, wait_for_messages,
the demo page) on any change.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass

from bot.emulator import common
from bot.emulator.telegram.wire import JSON

IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
)
# A valid 1x1 PNG, so a photo "sent by a person" renders in the demo page without a real image.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


class EmulatorError(common.EmulatorError):
    """A scripted action is impossible in the fake world (unknown user, no such button, ...)."""


@dataclass
class StoredFile:
    data: bytes
    kind: str  # "photo" or "document"
    file_unique_id: str
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class Stored:
    """A message of the fake world; ``rev`` grows on every change so pollers also notice edits."""

    message: JSON
    rev: int


class World(common.Changes):
    """People, chats, messages and files, plus the public records of everything the bot did."""

    def __init__(self, bot_user: JSON) -> None:
        super().__init__()  # one condition wakes every waiter (long polls, wait_for_messages) on any change
        self.bot_user = bot_user
        # Public records, read by tests.
        self.calls: list[tuple[str, JSON]] = []
        self.callback_answers: list[JSON] = []
        self.webhook_responses: list[int | None] = []  # None = the webhook could not be reached
        self.deleted: list[tuple[int, int]] = []  # (chat id, message id) of each message deleteMessage removed
        # The fake world.
        self._users: dict[int, JSON] = {}
        self._chats: dict[int, JSON] = {}
        self._bot_status: dict[int, str] = {}  # groups/channels: left | member | administrator | kicked
        self._blocked: set[int] = set()
        self._deactivated: set[int] = set()
        self._migrated: dict[int, int] = {}
        self._log: dict[int, dict[int, Stored]] = {}  # chat id -> message id -> message
        self._last_message_id: dict[int, int] = {}
        self._rev = 0
        self._files: dict[str, StoredFile] = {}
        self._open_callbacks: set[str] = set()
        self._callback_seq = 0

    # ------------------------------------------------------------------ people and chats

    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
    ) -> JSON:
        """A person, with the private chat to the bot (chat id == user id). Returns the User object."""
        names = {"first_name": first_name, "last_name": last_name, "username": username}
        user = without_none({"id": user_id, "is_bot": False, **names, "language_code": language_code})
        self._users[user_id] = user
        self._chats[user_id] = without_none({"id": user_id, "type": "private", **names})
        return user

    def add_group(self, chat_id: int, title: str, *, supergroup: bool = False) -> JSON:
        """A group the bot is not in yet: call add_bot_to_chat() before the bot can post there."""
        return self._add_chat(chat_id, "supergroup" if supergroup else "group", title)

    def add_channel(self, chat_id: int, title: str) -> JSON:
        """A channel the bot is not in yet; add_bot_to_chat() makes it an administrator."""
        return self._add_chat(chat_id, "channel", title)

    def deactivate_user(self, user_id: int) -> None:
        """The person deleted their account: later sends fail with 403 "user is deactivated"."""
        self._user(user_id)
        self._deactivated.add(user_id)

    def _add_chat(self, chat_id: int, kind: str, title: str) -> JSON:
        if chat_id >= 0:
            raise EmulatorError(f"group and channel ids are negative, got {chat_id}")
        chat = {"id": chat_id, "type": kind, "title": title}
        self._chats[chat_id] = chat
        self._bot_status.setdefault(chat_id, "left")
        return chat

    def _user(self, user_id: int) -> JSON:
        if user_id not in self._users:
            raise EmulatorError(f"unknown user {user_id}: call add_user() first")
        return self._users[user_id]

    def _chat(self, chat_id: int) -> JSON:
        if chat_id not in self._chats:
            raise EmulatorError(f"unknown chat {chat_id}: call add_user()/add_group()/add_channel() first")
        return self._chats[chat_id]

    def _speaker(self, user_id: int, chat_id: int | None) -> tuple[JSON, JSON]:
        """The user and the chat they act in; refuses chats the bot would not hear from."""
        user = self._user(user_id)
        chat = self._chat(user_id if chat_id is None else chat_id)
        if chat["id"] in self._migrated:
            raise EmulatorError(f"chat {chat['id']} was migrated to {self._migrated[chat['id']]}")
        if chat["type"] != "private" and self._bot_status.get(chat["id"]) not in ("member", "administrator"):
            raise EmulatorError(f"the bot is not in chat {chat['id']}: call add_bot_to_chat() first")
        return user, chat

    # ------------------------------------------------------------------ reading what the bot did

    def messages(self, chat_id: int, *, from_bot: bool | None = True) -> list[JSON]:
        """Transcript of a chat: the bot's messages (True), the people's (False) or all (None)."""
        bot_id = self.bot_user["id"]
        return [
            self._entry(s)
            for s in self._log.get(chat_id, {}).values()
            if from_bot is None or is_from(s.message, bot_id) == from_bot
        ]

    def last_message(self, chat_id: int) -> JSON:
        """The bot's latest message in the chat."""
        sent = self.messages(chat_id)
        if not sent:
            raise EmulatorError(f"the bot has sent nothing to chat {chat_id}")
        return sent[-1]

    async def wait_for_messages(self, chat_id: int, count: int, *, timeout: float | None = None) -> list[JSON]:  # noqa: ASYNC109
        """Wait until the bot has sent at least ``count`` messages to the chat; returns all of them."""
        if await self.wait_for(lambda: len(self.messages(chat_id)) >= count, timeout=timeout):
            return self.messages(chat_id)
        transcript = [
            (e["message_id"], "bot" if e["from_bot"] else "user", e["text"] or e["caption"])
            for e in self.messages(chat_id, from_bot=None)
        ]
        recent = [name for name, _ in self.calls[-8:]]
        raise TimeoutError(
            f"stopped waiting for {count} bot message(s) in chat {chat_id}, got "
            f"{len(self.messages(chat_id))}. Transcript: {transcript}. Last API calls: {recent}"
        )

    def file_bytes(self, file_id: str) -> bytes:
        """Content of an uploaded file (empty for files "sent" by URL: those are not downloaded)."""
        if file_id not in self._files:
            raise EmulatorError(f"unknown file_id {file_id!r}")
        return self._files[file_id].data

    def file_name(self, file_id: str) -> str | None:
        """The name an upload carried in its multipart part (what a recipient saves the file as)."""
        if file_id not in self._files:
            raise EmulatorError(f"unknown file_id {file_id!r}")
        return self._files[file_id].file_name

    def _entry(self, stored: Stored) -> JSON:
        message = stored.message
        photo, document = message.get("photo"), message.get("document")
        if document:
            document = {"file_id": document["file_id"], "file_name": document.get("file_name")}
        return {
            "message_id": message["message_id"],
            "chat_id": message["chat"]["id"],
            "from_bot": is_from(message, self.bot_user["id"]),
            "from_id": message.get("from", {}).get("id"),
            "text": message.get("text"),
            "caption": message.get("caption"),
            "buttons": buttons(message),
            "photo": photo[-1]["file_id"] if photo else None,
            "document": document or None,
            "links": _links(message),
            "date": message["date"],
            "edited": "edit_date" in message,
            "rev": stored.rev,
        }

    # ------------------------------------------------------------------ storing messages and files

    async def _store(self, chat: JSON, sender: JSON | None, content: JSON) -> JSON:
        chat_id = chat["id"]
        message_id = self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        message: JSON = {"message_id": message_id, "date": now(), "chat": chat}
        if sender is not None:
            message["from"] = sender
        if chat["type"] == "channel":
            message["sender_chat"] = chat
        message.update(without_none(content))
        self._rev += 1
        self._log.setdefault(chat_id, {})[message_id] = Stored(message, self._rev)
        await self._notify()
        return message

    def _save_file(self, data: bytes, kind: str, file_name: str | None, mime_type: str | None) -> str:
        number = len(self._files) + 1
        file_id = f"emu-{kind}-{number}"
        self._files[file_id] = StoredFile(data, kind, f"emu-u{number}", file_name, mime_type)
        return file_id

    def _photo_sizes(self, file_id: str) -> list[JSON]:
        stored = self._files[file_id]
        width, height = _image_size(stored.data)
        return [
            {
                "file_id": file_id,
                "file_unique_id": stored.file_unique_id,
                "width": width,
                "height": height,
                "file_size": len(stored.data),
            }
        ]

    def _document(self, file_id: str) -> JSON:
        stored = self._files[file_id]
        return without_none(
            {
                "file_id": file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": stored.file_name,
                "mime_type": stored.mime_type,
                "file_size": len(stored.data),
            }
        )


def buttons(message: JSON) -> list[list[JSON]]:
    """The inline keyboard as the transcript shows it: [[{"text", "data"(, "url")}]]."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [[_button(button) for button in row] for row in rows]


def _button(button: JSON) -> JSON:
    entry = {"text": button.get("text"), "data": button.get("callback_data")}
    if button.get("url"):
        entry["url"] = button["url"]
    return entry


def is_from(message: JSON, user_id: int) -> bool:
    return message.get("from", {}).get("id") == user_id


def without_none(values: JSON) -> JSON:
    return {key: value for key, value in values.items() if value is not None}


def now() -> int:
    """Message dates are Unix seconds (PTB fails on milliseconds)."""
    return int(time.time())


def _image_size(data: bytes) -> tuple[int, int]:
    if data.startswith(IMAGE_MAGIC[0][0]) and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return 800, 600


def _links(message: JSON) -> list[JSON]:
    """The text links a reader sees: each linked piece of text with the address it opens."""
    text = message.get("text") if message.get("text") is not None else message.get("caption") or ""
    encoded = text.encode("utf-16-le")
    return [
        {"text": encoded[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le"), "url": e["url"]}
        for e in message.get("entities") or message.get("caption_entities") or []
        if e.get("type") == "text_link"
    ]
