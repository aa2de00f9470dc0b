"""Text a person sent, made fit to store, once, where every incoming event is built.

Some characters arrive in chat text but cannot be written: PostgreSQL refuses NUL in text
columns, and neither SQLite's driver nor asyncpg can encode a lone UTF-16 surrogate (half of an
emoji, cut by a client or an editor) as UTF-8. Left in, such text is accepted at its step and
then makes the flow's last step fail on every try, so the person can never submit.

Refusing would not help: these characters are invisible, so a person told to remove them
could not find them. So they are cleaned, in a way that keeps what the person saw:

- NUL and the other C0 control characters are removed (they show as nothing), except tab and
  line breaks; a carriage return becomes a line break ("\\r\\n" one line break);
- a lone surrogate becomes U+FFFD "�", the mark a chat app shows for a broken character, so the
  stored text reads as it was displayed and nothing silently closes up.

`Incoming` applies this to every text it carries when it is constructed, so no adapter, step,
command or search can see the raw characters.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
_LINE_BREAKS = re.compile(r"\r\n?")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_INVISIBLE_CONTROLS = dict.fromkeys(c for c in range(0x20) if chr(c) not in "\t\n")


def storable(text: str) -> str:
    """`text` without what no database here can hold (see the module docstring for why)."""
    if text.isprintable():  # the usual case: nothing to do, and cheap to find out
        return text
    text = _LINE_BREAKS.sub("\n", text)
    return without_lone_surrogates(text).translate(_INVISIBLE_CONTROLS)


def without_lone_surrogates(text: str) -> str:
    """Each lone surrogate as U+FFFD: the length in UTF-16 units (Telegram's offsets) is unchanged."""
    return _LONE_SURROGATE.sub(REPLACEMENT, text)


def storable_or_none(text: str | None) -> str | None:
    return None if text is None else storable(text)
