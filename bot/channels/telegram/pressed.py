"""A pressed button's message: what was chosen stays visible, and a reply may take its place.

After a press the question's message is edited once: to its text plus "✓ <label>" with the
keyboard gone (so an old prompt cannot be pressed again and the choice stays readable), or,
when the reply `replaces_pressed` (a multi-choice question with one more option ticked), to
that reply. One edit, never a separate call that only removes the buttons.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import CallbackQuery, Message

from bot.core.messages import Outgoing

CHOSEN_MARK = "✓"
TICKED = f"{CHOSEN_MARK} "  # how a multi-choice question marks a ticked option's button
TEXT_LIMIT = 4096  # an edit is not split: what is longer is sent, not edited in


@dataclass(frozen=True, slots=True)
class Pressed:
    """The message under a pressed button, as much of it as an edit needs."""

    chat_id: int
    message_id: int
    text_html: str | None  # None: not a text message (a photo's caption), only its buttons go
    label: str | None  # the pressed button's label, as the person read it

    def chosen_text(self) -> str | None:
        """The question followed by "✓ <label>", as HTML; None when there is nothing to write into."""
        if self.text_html is None:
            return None
        if not self.label:
            return self.text_html
        text = f"{self.text_html}\n\n{CHOSEN_MARK} {html.escape(self.label)}"
        return text if len(text) <= TEXT_LIMIT else None


def pressed_of(query: CallbackQuery) -> Pressed | None:
    """The pressed message, or None when it is too old for the bot to see or edit."""
    message = query.message
    if message is None or not message.is_accessible or not isinstance(message, Message):
        return None
    return Pressed(
        chat_id=message.chat_id,
        message_id=message.message_id,
        text_html=message.text_html if message.text else None,
        label=_label(message, query.data),
    )


def _label(message: Message, data: str | None) -> str | None:
    """What the press chose, in the words of its buttons.

    On a multi-choice question the press that finishes ("Xong") chose the ticked options (their
    buttons start with the tick mark), so those are named, not the word on the finishing button.
    """
    markup = message.reply_markup
    if markup is None or data is None:
        return None
    buttons = [button for row in markup.inline_keyboard for button in row]
    pressed = next((b.text for b in buttons if b.callback_data == data), None)
    ticked = [b.text.removeprefix(TICKED) for b in buttons if b.text.startswith(TICKED)]
    if pressed is not None and ticked and not pressed.startswith(TICKED):
        return "; ".join(ticked)
    return pressed


def can_replace(reply: Outgoing, pressed: Pressed) -> bool:
    """A reply asks to take the pressed message's place and is something an edit can show."""
    return (
        reply.replaces_pressed
        and pressed.text_html is not None
        and reply.photo is None
        and reply.document is None
        and 0 < len(reply.text) <= TEXT_LIMIT
    )
