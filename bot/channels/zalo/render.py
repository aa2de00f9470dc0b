"""Neutral `Outgoing` → what Zalo can show: plain text, options as a numbered list.

Zalo has neither inline buttons nor a command menu. A question's options are listed under it,
numbered, and the person types the number (or the option's words); where the question also
takes a typed number or text (`free_input`), options are listed without numbers, so that "1"
remains the answer 1.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.channels.zalo.texts import ZALO
from bot.core.messages import Choice, Outgoing

TEXT_LIMIT = 2000  # sendMessage and sendPhoto's caption: 1-2000 characters


def options_block(choices: Sequence[Choice], *, numbered: bool) -> str:
    if numbered:
        labels = [choice.label for choice in choices]
        if not all(label.startswith(f"{index}. ") for index, label in enumerate(labels, 1)):
            labels = [f"{index}. {label}" for index, label in enumerate(labels, 1)]  # else: numbered already
        return "\n".join([*labels, ZALO["choose_number"]])
    lines = [f"• {choice.label}" for choice in choices]
    return "\n".join([*lines, ZALO["choose_words"]])


def render_text(message: Outgoing) -> str:
    """The message's text with its options below it (the options always end the message)."""
    if not message.choices:
        return message.text
    block = options_block(message.choices, numbered=not message.free_input)
    return f"{message.text}\n\n{block}" if message.text else block
