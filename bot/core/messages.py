"""The neutral events at the edge: what a person sent (`Incoming`) and what we answer (`Outgoing`).

Channel adapters translate platform updates into `Incoming` and render `Outgoing`; nothing
else in the code base knows which platform a message came from beyond `platform`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from bot.core.storable import storable, storable_or_none


@dataclass(frozen=True, slots=True)
class Choice:
    """One option offered to the person: a button on Telegram, a numbered line on Zalo."""

    value: str
    label: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """A photo or document the person sent; `file_id` is the platform's handle to fetch it."""

    kind: str  # "photo" | "document"
    file_id: str
    file_name: str | None = None


_TEXT_FIELDS = ("platform", "chat_id", "user_id", "chat_type", "text", "html", "command", "choice",
                "update_id", "chat_title", "event")


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a person did: typed text, a command, a button press or an attachment.

    It carries no profile name on purpose: a name the platform shows was not typed for us, and
    what is not read cannot be stored by mistake (`raw`, for debugging, is never stored).
    """

    platform: str
    chat_id: str
    user_id: str
    chat_type: str = "private"  # private | group | supergroup | channel
    text: str | None = None
    html: str | None = None  # the same text with its formatting, as Telegram-style HTML, if any
    command: str | None = None  # lower-case, without slash or @bot suffix
    args: tuple[str, ...] = ()
    choice: str | None = None  # the value of a pressed button
    attachments: tuple[Attachment, ...] = ()
    update_id: str | None = None
    chat_title: str | None = None  # for group/channel events: the chat's title
    event: str | None = None  # bot_blocked | bot_unblocked | bot_added | bot_removed, else None
    raw: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Every text is made storable here, so no adapter can hand a step what the database
        refuses (NUL, lone surrogates: see `bot.core.storable`); `raw` is kept as it came."""
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, storable(value))
        object.__setattr__(self, "args", tuple(storable(arg) for arg in self.args))
        object.__setattr__(self, "attachments", tuple(
            replace(a, file_name=storable_or_none(a.file_name)) for a in self.attachments
        ))

    @property
    def is_private(self) -> bool:
        return self.chat_type == "private"


@dataclass(frozen=True, slots=True)
class Photo:
    """An image to send (PNG/JPEG bytes) with a file name."""

    data: bytes
    file_name: str = "image.png"


@dataclass(frozen=True, slots=True)
class Document:
    """A file to send (an export, a form) with its name."""

    data: bytes
    file_name: str


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What we answer: text (plain unless `html`), optional choices and media.

    `html` marks text that an admin formatted (bold, italic, links) as Telegram-style HTML;
    platforms without formatting show it as plain text. Anything a person typed is never html.

    `chat_id` is None for "answer in the chat the message came from".
    """

    text: str
    choices: tuple[Choice, ...] = ()
    photo: Photo | None = None
    document: Document | None = None
    chat_id: str | None = None
    platform: str | None = None
    # The question also takes a typed number or text: where options are typed (Zalo), they are
    # then offered by their words, never by number, so "1" stays the answer 1.
    free_input: bool = False
    # A step of a guided flow waits for the answer to this message (typed, or chosen): where
    # options are typed (Zalo) it stays the person's open question even with no options at all,
    # so a notice arriving meanwhile never lends its numbers to what they type next.
    asks: bool = False
    html: bool = False
    # An actionable notice names its subject ("report", 12): each copy sent is recorded, so that
    # when one admin acts, the others' copies can be updated (`Edit`).
    about: tuple[str, int] | None = None
    # This reply takes the place of the message whose button was pressed (a multi-choice question
    # with one more option ticked): Telegram edits that message, Zalo (no edits) sends it anew.
    replaces_pressed: bool = False
    # What this message is ("broadcast:12"), for platforms without an idempotency key (Facebook
    # Pages): a retry after a crash checks the message did not arrive already.
    key: str | None = None
    # This reply asks the person to delete the message it answers (it holds a secret, a Page
    # token). A platform that can delete it (Telegram: a private chat's incoming message) does so
    # and sends these words instead; elsewhere (Zalo cannot), or if deleting fails, `text` goes.
    if_deleted: str | None = None


@dataclass(frozen=True, slots=True)
class Edit:
    """Change a message we sent earlier: new text, no buttons left. Platforms that cannot edit
    (Zalo) skip it; what the person sees there is the to-do list and the note when they try."""

    platform: str
    chat_id: str
    message_id: str
    text: str


@dataclass(frozen=True, slots=True)
class CommandMenuEntry:
    """One line of a person's command menu (Telegram's setMyCommands)."""

    command: str
    description: str


@dataclass
class Response:
    """What to do after an event: replies to its chat, notices to others, a new command menu,
    and edits of notices sent earlier (other admins' copies of something just handled)."""

    replies: list[Outgoing] = field(default_factory=list)
    notices: list[Outgoing] = field(default_factory=list)
    menu: tuple[CommandMenuEntry, ...] | None = None
    edits: list[Edit] = field(default_factory=list)
