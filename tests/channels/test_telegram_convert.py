"""Telegram updates → `Incoming`, table-driven like Zalo's; and formatted text with characters no
database holds."""

from __future__ import annotations

import pytest
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


# ---------------------------------------------------------------------- the table

BOT = "ketnoi_bot"
USER = {"id": 42, "is_bot": False, "first_name": "Lan", "last_name": "Trần"}
PRIVATE = {"id": 42, "type": "private", "first_name": "Lan"}
GROUP = {"id": -1001234, "type": "supergroup", "title": "MTTQ xã Cái Nhum"}
CHANNEL = {"id": -1009876, "type": "channel", "title": "Tin MTTQ tỉnh"}


def command_entity(text: str) -> list[dict]:
    return [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]


def message(text: str | None = None, *, chat=PRIVATE, command: bool = False, **fields) -> dict:
    body = {"message_id": 3, "date": 1764000000, "chat": chat, "from": USER, **fields}
    if text is not None:
        body["text"] = text
    if command:
        body["entities"] = command_entity(text)
    return {"update_id": 7, "message": body}


ADMIN_RIGHTS = {right: False for right in (
    "can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
    "can_restrict_members", "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories",
    "can_edit_stories", "can_delete_stories")}


def member_change(chat: dict, old: str, new: str) -> dict:
    def member(status: str) -> dict:
        extra = {"kicked": {"until_date": 0}, "administrator": ADMIN_RIGHTS}.get(status, {})
        return {"status": status, "user": {"id": 7000000001, "is_bot": True, "first_name": "KetNoi"}, **extra}

    return {"update_id": 7, "my_chat_member": {
        "chat": chat, "from": USER, "date": 1764000000,
        "old_chat_member": member(old), "new_chat_member": member(new),
    }}


PHOTO_SIZES = [{"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90},
               {"file_id": "large", "file_unique_id": "l", "width": 1280, "height": 1280}]

CASES = [
    ("text", message("Xin chào"),
     {"text": "Xin chào", "command": None, "args": (), "chat_type": "private", "html": None}),
    ("command with args", message("/baocao 2026-11", command=True),
     {"text": None, "command": "baocao", "args": ("2026-11",)}),
    ("command upper case, @our bot", message(f"/TroGiup@{BOT.upper()}", command=True),
     {"text": None, "command": "trogiup", "args": ()}),
    ("deep link /start CODE", message("/start K7Q2M9XA", command=True),
     {"command": "start", "args": ("K7Q2M9XA",)}),
    ("a slash without a command entity is text", message("/ không phải lệnh"),
     {"text": "/ không phải lệnh", "command": None}),
    ("callback query", {"update_id": 7, "callback_query": {
        "id": "cq1", "from": USER, "chat_instance": "ci", "data": "consent:yes",
        "message": {"message_id": 9, "date": 1764000000, "chat": PRIVATE, "text": "Bạn có đồng ý không?"}}},
     {"choice": "consent:yes", "text": None, "command": None}),
    ("photo with caption: the largest size", message(photo=PHOTO_SIZES, caption="Họp dân ấp 3"),
     {"text": "Họp dân ấp 3", "attachments": (("photo", "large", None),)}),
    ("document", message(document={"file_id": "doc1", "file_unique_id": "d", "file_name": "bao-cao.xlsx"}),
     {"text": None, "attachments": (("document", "doc1", "bao-cao.xlsx"),)}),
    ("sticker", message(sticker={"file_id": "st1", "file_unique_id": "s", "type": "regular", "width": 512,
                                 "height": 512, "is_animated": False, "is_video": False}),
     {"text": None, "attachments": (), "command": None}),
    ("group command for us", message(f"/trogiup@{BOT}", chat=GROUP, command=True),
     {"command": "trogiup", "chat_type": "supergroup", "chat_id": str(GROUP["id"]), "raw": None}),
    ("group command without a bot name", message("/trogiup", chat=GROUP, command=True),
     {"command": "trogiup", "chat_type": "supergroup", "chat_id": str(GROUP["id"])}),
    ("bot blocked in private", member_change(PRIVATE, "member", "kicked"),
     {"event": "bot_blocked", "chat_type": "private"}),
    ("bot unblocked in private", member_change(PRIVATE, "kicked", "member"), {"event": "bot_unblocked"}),
    ("bot added to a group", member_change(GROUP, "left", "member"),
     {"event": "bot_added", "chat_title": GROUP["title"], "chat_id": str(GROUP["id"]), "raw": None}),
    ("bot removed from a group", member_change(GROUP, "administrator", "left"),
     {"event": "bot_removed", "chat_id": str(GROUP["id"])}),
    ("bot made admin of a channel", member_change(CHANNEL, "left", "administrator"),
     {"event": "bot_added", "chat_type": "channel", "chat_title": CHANNEL["title"], "chat_id": str(CHANNEL["id"])}),
    ("group became a supergroup", message(chat={"id": -4321, "type": "group", "title": "Ấp 3"},
                                          migrate_to_chat_id=-1004321),
     {"event": "chat_migrated", "chat_id": "-4321", "args": ("-1004321",)}),
]


@pytest.mark.parametrize(("name", "payload", "expected"), CASES, ids=[c[0] for c in CASES])
def test_updates_become_incoming(name, payload, expected):
    incoming = to_incoming(Update.de_json(payload, None), BOT)
    assert incoming is not None
    assert incoming.platform == "telegram" and incoming.user_id == str(USER["id"])
    for key, value in expected.items():
        actual = getattr(incoming, key)
        if key == "attachments":
            actual = tuple((a.kind, a.file_id, a.file_name) for a in actual)
        assert actual == value, key
    if "chat_id" not in expected:
        assert incoming.chat_id == str(PRIVATE["id"])
    if incoming.event in (None, "bot_blocked", "bot_unblocked", "bot_added", "bot_removed"):
        assert incoming.update_id == "7"  # a replay of the same update is recognised


def test_a_private_update_keeps_its_raw_form_and_no_profile_name_is_read():
    incoming = to_incoming(Update.de_json(message("Xin chào"), None), BOT)
    assert incoming.raw["message"]["text"] == "Xin chào"
    assert "Lan" not in repr(incoming) and "Trần" not in repr(incoming)  # repr leaves out only `raw`


IGNORED = [
    ("group chatter", message("Chào cả nhà", chat=GROUP)),
    ("a command for another bot", message("/trogiup@other_bot", chat=GROUP, command=True)),
    ("a group photo", message(chat=GROUP, photo=PHOTO_SIZES)),
    ("channel post", {"update_id": 7, "channel_post": {"message_id": 5, "date": 1764000000, "chat": CHANNEL,
                                                       "text": "Thông báo"}}),
    ("edited message", {"update_id": 7, "edited_message": {**message("Sửa")["message"], "edit_date": 1764000100}}),
    ("a message without a sender", {"update_id": 7, "message": {"message_id": 5, "date": 1764000000,
                                                                 "chat": GROUP, "text": "?"}}),
]


@pytest.mark.parametrize(("name", "payload"), IGNORED, ids=[c[0] for c in IGNORED])
def test_what_is_not_for_us_becomes_none(name, payload):
    assert to_incoming(Update.de_json(payload, None), BOT) is None
