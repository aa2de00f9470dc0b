"""Zalo events → neutral `Incoming`.

Zalo sends `{"event_name", "message"}`, wrapped in `{"ok": true, "result": ...}` by the webhook
(as documented) and sometimes bare (as observed; OpenClaw accepts both), so `unwrap` takes
either. One documented shape has a message but no `event_name`: such an event is named by its
content (a photo is an image, text is text...), so it is handled like the named one. Ids are strings, dates milliseconds, there are no update ids (the event name with the
message id is the key replays are recognised by) and no command entities: text starting with
"/" is a command. Stickers and content Zalo withholds (`message.unsupported.received`) become
an `Incoming` with neither text nor attachment, which the dispatcher answers helpfully.
"""

from __future__ import annotations

import types
from typing import Any

from bot.core.messages import Attachment, Incoming

PLATFORM = "zalo"
TEXT = "message.text.received"
IMAGE = "message.image.received"
STICKER = "message.sticker.received"
VOICE = "message.voice.received"
UNSUPPORTED = "message.unsupported.received"
# The bot joined or left a group. ASSUMED names and shape: Zalo's group support is in beta and
# its documentation names no membership event yet. We assume the platform's `<object>.<what>.<verb>`
# style and the message shape of every other event: `message.chat` is the group ({"id",
# "chat_type": "GROUP"}, perhaps a "title" or "name"), `message.from` who added or removed the
# bot. Should the real names differ, a group is still recorded from the first command the bot
# hears in it (handlers/dispatch.py), so linking works either way; only these two names change.
BOT_JOINED_GROUP = "group.bot.joined"
BOT_LEFT_GROUP = "group.bot.left"
_MEMBERSHIP = {BOT_JOINED_GROUP: "bot_added", BOT_LEFT_GROUP: "bot_removed"}
# Where an image's URL has been seen: `photo` (the documentation), `photo_url` (observed).
_PHOTO_FIELDS = ("photo", "photo_url")


def unwrap(payload: Any) -> dict[str, Any]:
    """The event inside a wrapped or bare payload, with its name; ValueError when it is not a Zalo event."""
    if isinstance(payload, dict) and payload.get("ok") is True and isinstance(payload.get("result"), dict):
        payload = payload["result"]
    if not isinstance(payload, dict):
        raise ValueError("not a Zalo event")
    message = payload.get("message")
    if message is not None:
        _check_message(message)
    name = payload.get("event_name")
    if name is None and message is not None and message.get("from") and message.get("chat"):
        return {**payload, "event_name": _named_by_content(message)}  # someone's message, unnamed
    if not isinstance(name, str):
        raise ValueError("not a Zalo event")
    return payload


def _check_message(message: Any) -> None:
    """The parts we read and keep have the documented types (objects, string or number ids), or
    ValueError; content fields of other types are merely not read."""
    if not isinstance(message, dict):
        raise ValueError("the event's message is not an object")
    for part in ("from", "chat"):
        if message.get(part) is not None and not isinstance(message[part], dict):
            raise ValueError(f"the event's {part} is not an object")
    sender, chat = message.get("from") or {}, message.get("chat") or {}
    if any(not _absent_or(value, str | int) for value in (message.get("message_id"), sender.get("id"), chat.get("id"))):
        raise ValueError("the event has an id that is neither a string nor a number")


def _absent_or(value: Any, kind: type | types.UnionType) -> bool:
    return value is None or (isinstance(value, kind) and not isinstance(value, bool))


def _named_by_content(message: dict[str, Any]) -> str:
    """The event name Zalo would have given this message, from what it carries."""
    if _photo_url(message):
        return IMAGE
    if message.get("sticker") is not None:
        return STICKER
    if message.get("voice_url") is not None:
        return VOICE
    if _string(message.get("text")):
        return TEXT
    return UNSUPPORTED


def _photo_url(message: dict[str, Any]) -> str | None:
    return next((message[f] for f in _PHOTO_FIELDS if _string(message.get(f))), None)


def _string(value: Any) -> str | None:
    """A non-empty string field; anything else (absent, a number, an object) is no text."""
    return value if isinstance(value, str) and value else None


def event_key(event: dict[str, Any]) -> str | None:
    """What identifies one delivery of an event: its name and message id (None if it has none)."""
    message_id = (event.get("message") or {}).get("message_id")
    return f"{event['event_name']}:{message_id}" if message_id else None


def chat_of(event: dict[str, Any]) -> tuple[str, bool] | None:
    """(chat id, private?) of an event that has a chat."""
    chat = (event.get("message") or {}).get("chat") or {}
    if not chat.get("id"):
        return None
    return str(chat["id"]), str(chat.get("chat_type", "PRIVATE")).upper() != "GROUP"


def to_incoming(event: dict[str, Any]) -> Incoming | None:
    """Translate one event; None when it is nothing we act on (no sender, or group chatter)."""
    message = event.get("message") or {}
    sender = message.get("from") or {}
    where = chat_of(event)
    if where is None or not sender.get("id") or sender.get("is_bot"):
        return None
    chat_id, private = where
    if event["event_name"] in _MEMBERSHIP:
        return _membership(event, chat_id, str(sender["id"])) if not private else None
    text: str | None = None
    attachments: tuple[Attachment, ...] = ()
    if event["event_name"] == TEXT:
        text = _string(message.get("text"))
    elif event["event_name"] == IMAGE:
        url = _photo_url(message)
        attachments = (Attachment("photo", url),) if url else ()
        text = _string(message.get("caption"))
    command, args = _command(text)
    if not private and command is None:
        return None  # in groups only commands are for us, and nothing else is read
    return Incoming(
        platform=PLATFORM,
        chat_id=chat_id,
        user_id=str(sender["id"]),
        chat_type="private" if private else "group",
        text=None if command else text,
        command=command,
        args=args,
        attachments=attachments,
        update_id=event_key(event),
        raw=event if private else None,
    )


def _command(text: str | None) -> tuple[str | None, tuple[str, ...]]:
    """"/baocao 2026-11" → ("baocao", ("2026-11",)); "/help@bot" → "help". Zalo has no entities."""
    if not text or not text.startswith("/") or len(text) < 2 or text[1].isspace():
        return None, ()
    word, *args = text[1:].split()
    name = word.partition("@")[0].lower()
    return (name, tuple(args)) if name else (None, ())


def _membership(event: dict[str, Any], chat_id: str, user_id: str) -> Incoming:
    """The bot joined or left a group: only the group itself is kept (id, title), as on Telegram."""
    chat = event["message"].get("chat") or {}
    title = _string(chat.get("title")) or _string(chat.get("name"))
    return Incoming(
        platform=PLATFORM,
        chat_id=chat_id,
        user_id=user_id,
        chat_type="group",
        chat_title=title[:200] if title else None,
        event=_MEMBERSHIP[event["event_name"]],
        update_id=event_key(event),
    )
