"""Zalo events → neutral `Incoming`, table-driven from payloads shaped like Zalo's (facts file, §5)."""

from __future__ import annotations

import pytest

from bot.channels.zalo.convert import event_key, to_incoming, unwrap

USER = {"id": "6ede9afa66b88fe6d6a9", "display_name": "Ted", "is_bot": False}
PRIVATE = {"id": "6ede9afa66b88fe6d6a9", "chat_type": "PRIVATE"}
GROUP = {"id": "0c0e1aa8e2f20bac52e3", "chat_type": "GROUP"}


def event(name: str, chat=PRIVATE, **fields) -> dict:
    message = {"from": USER, "chat": chat, "message_id": "2d758cb5e222177a4e35", "date": 1750316131602, **fields}
    return {"message": message, "event_name": name}


CASES = [
    ("text", event("message.text.received", text="Xin chào"),
     {"text": "Xin chào", "command": None, "args": (), "chat_type": "private"}),
    ("command with args", event("message.text.received", text="/baocao 2026-11"),
     {"text": None, "command": "baocao", "args": ("2026-11",)}),
    ("command upper case, @bot", event("message.text.received", text="/TroGiup@bot.KetNoi"),
     {"command": "trogiup", "args": ()}),
    ("a lone slash is text", event("message.text.received", text="/"), {"text": "/", "command": None}),
    ("photo, documented field", event("message.image.received", photo="https://f.zalo/p.jpg", caption="Họp dân"),
     {"text": "Họp dân", "attachments": (("photo", "https://f.zalo/p.jpg"),)}),
    ("photo, observed field", event("message.image.received", photo_url="https://f.zalo/q.jpg"),
     {"text": None, "attachments": (("photo", "https://f.zalo/q.jpg"),)}),
    ("sticker", event("message.sticker.received", sticker="0e078a2fb66a5f34067b", url="https://s/x"),
     {"text": None, "attachments": (), "command": None}),
    ("withheld content", event("message.unsupported.received"), {"text": None, "attachments": ()}),
    ("group command", event("message.text.received", chat=GROUP, text="/trogiup"),
     {"command": "trogiup", "chat_type": "group", "chat_id": GROUP["id"]}),
]


@pytest.mark.parametrize(("name", "payload", "expected"), CASES, ids=[c[0] for c in CASES])
def test_events_become_incoming(name, payload, expected):
    incoming = to_incoming(unwrap(payload))
    assert incoming is not None
    assert incoming.platform == "zalo" and incoming.user_id == USER["id"]
    assert "Ted" not in repr(incoming)  # the profile name is not read (citizens are told no name is kept)
    assert incoming.update_id == f"{payload['event_name']}:2d758cb5e222177a4e35"
    for key, value in expected.items():
        actual = getattr(incoming, key)
        if key == "attachments":
            actual = tuple((a.kind, a.file_id) for a in actual)
        assert actual == value, key
    assert incoming.chat_id == expected.get("chat_id", PRIVATE["id"])


def unnamed(**fields) -> dict:
    """An event as in Zalo's getUpdates sample: a message, but no event_name."""
    return {"message": event("", **fields)["message"]}


UNNAMED = [
    ("text", unnamed(text="Xin chào"), "message.text.received",
     {"text": "Xin chào", "command": None, "attachments": ()}),
    ("command", unnamed(text="/baocao 2026-11"), "message.text.received",
     {"text": None, "command": "baocao", "args": ("2026-11",)}),
    ("photo, documented field", unnamed(photo="https://f.zalo/p.jpg", caption="Họp dân"), "message.image.received",
     {"text": "Họp dân", "attachments": (("photo", "https://f.zalo/p.jpg"),)}),
    ("photo, observed field", unnamed(photo_url="https://f.zalo/q.jpg"), "message.image.received",
     {"text": None, "attachments": (("photo", "https://f.zalo/q.jpg"),)}),
    ("sticker", unnamed(sticker="0e078a2fb66a5f34067b", url="https://s/x"), "message.sticker.received",
     {"text": None, "attachments": ()}),
    ("voice", unnamed(voice_url="https://f.zalo/v.aac"), "message.voice.received", {"text": None, "attachments": ()}),
    ("nothing readable", unnamed(), "message.unsupported.received", {"text": None, "attachments": ()}),
    ("text that is not a string", unnamed(text={"a": 1}), "message.unsupported.received", {"text": None}),
]


@pytest.mark.parametrize(("name", "payload", "event_name", "expected"), UNNAMED, ids=[c[0] for c in UNNAMED])
@pytest.mark.parametrize("wrapped", [False, True], ids=["bare", "wrapped"])
def test_an_event_without_a_name_is_handled_by_its_content(name, payload, event_name, expected, wrapped):
    unwrapped = unwrap({"ok": True, "result": payload} if wrapped else payload)
    assert unwrapped["event_name"] == event_name
    incoming = to_incoming(unwrapped)
    assert incoming is not None and incoming.user_id == USER["id"] and incoming.chat_type == "private"
    assert incoming.update_id == f"{event_name}:2d758cb5e222177a4e35"
    for key, value in expected.items():
        actual = getattr(incoming, key)
        if key == "attachments":
            actual = tuple((a.kind, a.file_id) for a in actual)
        assert actual == value, key


def test_an_unnamed_event_is_named_like_the_named_one():
    named = event("message.image.received", photo="https://f.zalo/p.jpg")
    assert unwrap(unnamed(photo="https://f.zalo/p.jpg")) == unwrap(named)


def test_wrapped_and_bare_shapes_are_the_same_event():
    bare = event("message.text.received", text="Xin chào")
    assert unwrap({"ok": True, "result": bare}) == unwrap(bare) == bare
    assert event_key(bare) == "message.text.received:2d758cb5e222177a4e35"


def malformed(**message) -> dict:
    return {"event_name": "message.text.received", "message": {"from": USER, "chat": PRIVATE, **message}}


@pytest.mark.parametrize("payload", [
    None, [], "x", 5, {}, {"ok": True, "result": {}}, {"event_name": 3}, {"event_name": None},
    {"event_name": "message.text.received", "message": "text"}, {"message": ["text"]},
    {"message": {}}, {"ok": True, "result": {"message": {"text": "Xin chào"}}},  # unnamed, and from nobody
    malformed(chat=5), malformed(chat=[PRIVATE]), malformed(**{"from": "Ted"}),
    malformed(chat={"id": {"x": 1}}), malformed(chat={"id": True}), malformed(message_id=["m1"]),
    malformed(**{"from": {"id": ["u"]}}),
])
def test_anything_else_is_not_an_event(payload):
    with pytest.raises(ValueError, match="event"):
        unwrap(payload)


def test_group_chatter_and_bots_are_not_read():
    assert to_incoming(event("message.text.received", chat=GROUP, text="Họp lúc 8 giờ")) is None
    assert to_incoming(event("message.image.received", chat=GROUP, photo="https://f/p.jpg")) is None
    robot = event("message.text.received", text="hi")
    robot["message"]["from"] = {**USER, "is_bot": True}
    assert to_incoming(robot) is None
    group = to_incoming(event("message.text.received", chat=GROUP, text="/trogiup"))
    assert group.raw is None  # nothing of a group is kept, not even in memory


def test_the_bot_joining_or_leaving_a_group_is_a_chat_event_with_nothing_of_anyone():
    """Assumed events (Zalo documents none yet): only the group's id and name are read."""
    joined = to_incoming(event("group.bot.joined", chat={**GROUP, "title": "Chi hội Cái Nhum"}))
    assert (joined.event, joined.chat_type, joined.chat_id, joined.chat_title) == (
        "bot_added", "group", GROUP["id"], "Chi hội Cái Nhum")
    assert joined.raw is None and joined.text is None
    left = to_incoming(event("group.bot.left", chat=GROUP))
    assert (left.event, left.chat_title) == ("bot_removed", None)
    assert to_incoming(event("group.bot.joined")) is None  # a private chat has no membership
