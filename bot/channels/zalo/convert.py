"""Zalo events → neutral `Incoming`.

Zalo sends `{"event_name", "message"}`, wrapped in `{"ok": true, "result": ...}` by the webhook
(as documented) and sometimes bare (as observed; OpenClaw accepts both), so `unwrap` takes
either. Ids are strings, dates milliseconds, there are no update ids (the event name with the
message id is the key replays are recognised by) and no command entities: text starting with
"/" is a command. Stickers and content Zalo withholds (`message.unsupported.received`) become
an `Incoming` with neither text nor attachment, which the dispatcher answers helpfully.
"""

from __future__ import annotations

from typing import Any

from handlers.io import Attachment, Incoming

PLATFORM = "zalo"
TEXT = "message.text.received"
IMAGE = "message.image.received"
# Where an image's URL has been seen: `photo` (the documentation), `photo_url` (observed).
_PHOTO_FIELDS = ("photo", "photo_url")


def unwrap(payload: Any) -> dict[str, Any]:
    """The event inside a wrapped or bare payload; ValueError when it is not a Zalo event."""
    if isinstance(payload, dict) and payload.get("ok") is True and isinstance(payload.get("result"), dict):
        payload = payload["result"]
    if not isinstance(payload, dict) or not isinstance(payload.get("event_name"), str):
        raise ValueError("not a Zalo event")
    message = payload.get("message")
    if message is not None and not isinstance(message, dict):
        raise ValueError("the event's message is not an object")
    return payload


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
    text: str | None = None
    attachments: tuple[Attachment, ...] = ()
    if event["event_name"] == TEXT:
        text = str(message.get("text") or "") or None
    elif event["event_name"] == IMAGE:
        url = next((message[f] for f in _PHOTO_FIELDS if isinstance(message.get(f), str) and message[f]), None)
        attachments = (Attachment("photo", url),) if url else ()
        text = str(message.get("caption") or "") or None
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
