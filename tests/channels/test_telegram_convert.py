"""Telegram updates → `Incoming`: formatted text with characters no database holds."""

from __future__ import annotations

from telegram import Update

from bot.channels.telegram.convert import to_incoming


def formatted_message(text: str, entities: list[dict]) -> Update:
    """A private message as Telegram sends it (offsets count UTF-16 units)."""
    return Update.de_json({
        "update_id": 7,
        "message": {
            "message_id": 3, "date": 1764000000, "text": text, "entities": entities,
            "chat": {"id": 42, "type": "private", "first_name": "Lan"},
            "from": {"id": 42, "is_bot": False, "first_name": "Lan\x00"},
        },
    }, None)


def test_formatting_survives_half_an_emoji_and_a_nul():
    # "\ud83d" is half an emoji: UTF-16 cannot encode it, so the HTML could not be computed before.
    update = formatted_message("Họp\x00 dân \ud83d lúc 8 giờ",
                               [{"type": "bold", "offset": 0, "length": 3},
                                {"type": "italic", "offset": 11, "length": 9}])
    incoming = to_incoming(update, "ketnoi_bot")
    assert incoming.text == "Họp dân \ufffd lúc 8 giờ"
    assert incoming.html == "<b>Họp</b> dân \ufffd <i>lúc 8 giờ</i>"
