"""Chat text made storable: invisible controls go, a broken character stays visible as "�"."""

from __future__ import annotations

import pytest

from bot.core.messages import Attachment, Incoming
from bot.core.storable import storable

CASES = [
    ("Chào bà con", "Chào bà con"),
    ("dòng 1\ndòng 2\tcột", "dòng 1\ndòng 2\tcột"),  # line breaks and tabs are what people typed
    ("abc\x00def", "abcdef"),
    ("chuông\x07 cảnh báo\x1b", "chuông cảnh báo"),
    ("dòng 1\r\ndòng 2\rdòng 3", "dòng 1\ndòng 2\ndòng 3"),
    ("\ud800", "\ufffd"),
    ("vui \ud83d", "vui \ufffd"),  # half an emoji
    ("vui 😀", "vui 😀"),  # a whole one is kept
    ("\x00", ""),
]


@pytest.mark.parametrize(("typed", "kept"), CASES)
def test_storable(typed, kept):
    assert storable(typed) == kept
    kept.encode("utf-8")  # no lone surrogate left


def test_every_text_of_an_incoming_event_is_storable():
    incoming = Incoming(platform="zalo", chat_id="1", user_id="1", text="a\x00b", html="<b>a\x00</b>",
                        args=("2026\x00-10",), choice="x\ud800",
                        attachments=(Attachment("document", "f1", "bao\x00cao.pdf"),))
    assert (incoming.text, incoming.html, incoming.args, incoming.choice) == (
        "ab", "<b>a</b>", ("2026-10",), "x\ufffd")
    assert incoming.attachments[0].file_name == "baocao.pdf"
