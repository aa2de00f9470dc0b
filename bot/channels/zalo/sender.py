"""Sending to Zalo: render neutral `Outgoing`, map Zalo's errors onto our one taxonomy.

Long texts are cut at 2000 characters on paragraph boundaries and sent in order. Zalo takes
photos by URL only, so our own images (QR codes, charts) are served from our web server
(`media.SharedMedia`, under `PUBLIC_BASE_URL`); documents become a link the same way. Without a
public URL the text goes alone, with a note. Zalo has no command menu: `set_commands` does
nothing. When a budget is given (`broadcasts.limits.SendBudget`, one per token, shared by the
interactive sender and the outbox's), every API call is paced through it; the outbox's calls
(`broadcasting`) give way to the interactive ones.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import replace
from typing import Any

from bot.channels.zalo.client import ZaloClient, ZaloError
from bot.channels.zalo.media import SharedMedia
from bot.channels.zalo.offers import SharedOffers
from bot.channels.zalo.render import TEXT_LIMIT, render_text
from bot.channels.zalo.texts import ZALO
from bot.core.buttons import StaleButton, command_of, parse
from bot.core.messages import CommandMenuEntry, Outgoing
from bot.core.sending import RecipientGone, Rejected, SendError, Throttled, Transient
from broadcasts.limits import SendBudget
from broadcasts.polls import VOTE
from broadcasts.text import html_to_text, split_text

log = logging.getLogger(__name__)

DEFAULT_THROTTLE_SECONDS = 60.0  # Zalo's 429 "Quota exceeded" says nothing about when to retry
# Words in Zalo's error descriptions that say the person, not the message, is the problem.
_RECIPIENT_WORDS = ("block", "unfollow", "not follow", "user not found", "chat not found", "not exist",
                    "inactive", "deactivated", "chặn", "not a member")


def map_error(exc: ZaloError, throttle_seconds: float = DEFAULT_THROTTLE_SECONDS) -> SendError:
    """One place that knows Zalo's error codes (facts file, section 5: "Bảng mã lỗi")."""
    reason = f"{exc.status or 'network'}: {exc.description}"
    if exc.status == 429:
        return Throttled(reason, throttle_seconds)
    if exc.transient:
        return Transient(reason)
    if any(word in exc.description.lower() for word in _RECIPIENT_WORDS):
        return RecipientGone(reason)
    if exc.status == 401:
        return Rejected(f"{reason} (is ZALO_BOT_TOKEN right?)")
    return Rejected(reason)


class ZaloSender:
    """Implements `bot.core.sending.Sender` over a `ZaloClient`."""

    platform = "zalo"

    def __init__(
        self,
        client: ZaloClient,
        *,
        media: SharedMedia | None = None,
        public_base_url: str | None = None,
        offers: SharedOffers | None = None,
        pacer: SendBudget | None = None,
        throttle_seconds: float = DEFAULT_THROTTLE_SECONDS,
        broadcasting: bool = False,
        on_throttled: Callable[[], None] | None = None,
    ) -> None:
        self.client = client
        self.on_throttled = on_throttled  # counts each 429 a reply gets (metrics); not the outbox's copy
        self.broadcasting = broadcasting  # the outbox's: what it sends never answers the person
        self.media = media
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.offers = offers
        self.pacer = pacer
        self.throttle_seconds = throttle_seconds

    def paced(self, pacer: SendBudget) -> ZaloSender:
        """The same sender (same client, media and memory of options) paced for broadcasts."""
        return ZaloSender(
            self.client, media=self.media, public_base_url=self.public_base_url, offers=self.offers,
            pacer=pacer, throttle_seconds=self.throttle_seconds, broadcasting=True,
        )

    async def send(self, chat_id: str, message: Outgoing, *, notice: bool = False) -> str:
        """Send one message. A `notice` (not an answer to what the person did) that arrives while
        they have a question open keeps that question's numbers: it is sent without its options,
        pointing to /viec, and changes nothing the person may answer. A broadcast is not an
        answer either: without options it leaves an open question open, and a poll that comes
        while one is open comes without its numbers, saying to type /khaosat N to answer it."""
        not_an_answer = notice or self.broadcasting
        keeps_question = not_an_answer and self.offers is not None and await self.offers.is_open(chat_id)
        if keeps_question and message.choices:
            message = replace(message, choices=(), text=_join(message.text, _waiting_hint(message)))
        if message.html:  # Zalo shows no formatting: the same words, as plain text
            message = replace(message, text=html_to_text(message.text), html=False)
        text = render_text(message)
        photo_url = await self._url(message.photo.data, message.photo.file_name) if message.photo else None
        if message.photo is not None and photo_url is None:
            text = _join(text, ZALO["photo_unavailable"])
        if message.document is not None:
            name = message.document.file_name
            url = await self._url(message.document.data, name)
            text = _join(text, ZALO["document_link"].format(name=name, url=url) if url else
                         ZALO["document_unavailable"].format(name=name))
        sent_id = ""
        if photo_url is not None and len(text) <= TEXT_LIMIT:
            sent_id = await self._call(chat_id, "send_photo", chat_id, photo_url, text or None)
        else:
            for part in split_text(text, TEXT_LIMIT):
                sent_id = await self._call(chat_id, "send_message", chat_id, part)
            if photo_url is not None:
                sent_id = await self._call(chat_id, "send_photo", chat_id, photo_url, None)
        if self.offers is not None and not keeps_question:
            await self.offers.remember(
                chat_id, message.choices, numbered=not message.free_input, asks=message.asks
            )
        return sent_id

    async def set_commands(self, chat_id: str | None, commands: Sequence[CommandMenuEntry]) -> None:
        """Zalo has no command menu; /trogiup lists the commands instead."""

    async def _url(self, data: bytes, file_name: str) -> str | None:
        if self.media is None or self.public_base_url is None:
            return None
        return f"{self.public_base_url}/media/{await self.media.put(data, file_name)}"

    async def _call(self, chat_id: str, method: str, *args: Any) -> str:
        slot: AbstractAsyncContextManager[None] = (
            self.pacer.slot(chat_id, group=False, interactive=not self.broadcasting)
            if self.pacer is not None
            else nullcontext()
        )
        try:
            async with slot:
                result = await getattr(self.client, method)(*args)
        except ZaloError as exc:
            error = map_error(exc, self.throttle_seconds)
            if isinstance(error, Throttled):
                if self.pacer is not None:
                    self.pacer.pause(error.retry_after)  # every sender of the token holds back
                if self.on_throttled is not None:
                    self.on_throttled()
            raise error from exc
        return str((result or {}).get("message_id", ""))


def _waiting_hint(message: Outgoing) -> str:
    """What to type later for a message that came while a question was open: /khaosat N for a
    poll, the command of a command option (a reminder's), else /viec, where every actionable
    notice waits."""
    poll = _poll_of(message)
    if poll is not None:
        return ZALO["poll_waits"].format(poll=poll)
    lines = [ZALO["notice_command"].format(label=choice.label, command=command)
             for choice in message.choices if (command := _typed_command(choice.value)) is not None]
    return "\n".join(lines) or ZALO["notice_waits"]


def _poll_of(message: Outgoing) -> int | None:
    """The poll whose vote options the message carries, if it carries any."""
    for choice in message.choices:
        try:
            return parse(choice.value, {VOTE: 2}).ids[0]
        except StaleButton:
            continue
    return None


def _typed_command(value: str) -> str | None:
    """"/baocao 2026-11" for a command option's value; None for any other option."""
    try:
        found = command_of(value)
    except StaleButton:
        return None
    return None if found is None else "/" + " ".join((found[0], *found[1]))


def _join(text: str, note: str) -> str:
    return f"{text}\n\n{note}" if text else note
