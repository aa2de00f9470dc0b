"""Publishing a broadcast on a Page: render as plain text, map Graph errors onto our taxonomy.

The outbox's "facebook" lane calls `send(page_id, message)` like any other sender. Facebook shows
no formatting, so an admin's formatted text becomes plain text with each link's address written
out; the first address in the text goes as the post's `link` too (its preview). A photo is posted
to `/photos` with the text as caption. Documents and poll options do not travel to Pages.

Graph errors (developers.facebook.com/docs/graph-api/guides/error-handling), by code:
190 (token expired, revoked or invalid) and 102 (session), 10 and 200-299 (permission missing):
the token cannot publish any more -> the link is broken, the province admins are told
(`on_broken`), the delivery is unreachable. 4, 17, 32, 613, 80001 (rate limits): throttled, wait
and retry. 1, 2, 341, 368, `is_transient`, HTTP 5xx, no answer: transient, retried with backoff
(safe thanks to the journal), then failed with the reason. Anything else: rejected, failed with
Facebook's message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from bot.channels.facebook.client import GraphClient, GraphError
from bot.core.messages import CommandMenuEntry, Outgoing
from bot.core.sending import RecipientGone, Rejected, SendError, Throttled, Transient
from bot.services.pages import PLATFORM
from bot.services.pages.journal import PostJournal
from broadcasts.text import html_to_text

log = logging.getLogger(__name__)

TOKEN_CODES = frozenset({190, 102})
PERMISSION_CODES = frozenset({10, *range(200, 300)})
THROTTLE_CODES = frozenset({4, 17, 32, 613, 80001})
TRANSIENT_CODES = frozenset({1, 2, 341, 368})
DEFAULT_THROTTLE_SECONDS = 300.0  # Facebook's rate limits last minutes; the header says how many when sent
_URL = re.compile(r"https?://[^\s<>()\"']+")

Tokens = Callable[[str], Awaitable[str | None]]
OnBroken = Callable[[str, str], Awaitable[None]]


def map_error(exc: GraphError) -> SendError:
    """One place that knows the Graph API's error codes."""
    reason = f"{exc.status or 'network'} #{exc.code}: {exc.message}" if exc.code else f"{exc.status or 'network'}: {exc.message}"
    if exc.code in TOKEN_CODES or exc.code in PERMISSION_CODES:
        return RecipientGone(reason)
    if exc.code in THROTTLE_CODES:
        return Throttled(reason, exc.regain_seconds or DEFAULT_THROTTLE_SECONDS)
    if exc.status is None or exc.status >= 500 or exc.transient or exc.code in TRANSIENT_CODES:
        return Transient(reason)
    return Rejected(reason)


def render(message: Outgoing) -> tuple[str, str | None]:
    """(plain text with links written out, the first link for the post's preview)."""
    text = html_to_text(message.text) if message.html else message.text
    text = text.strip()
    found = _URL.search(text)
    link = found.group(0).rstrip(".,;:!?") if found else None
    return text, link


class FacebookSender:
    """Implements `bot.core.sending.Sender` for Pages: the chat id is the Page id."""

    platform = PLATFORM

    def __init__(
        self,
        client: GraphClient,
        tokens: Tokens,
        *,
        journal: PostJournal | None = None,
        on_broken: OnBroken | None = None,
        clock: Callable[[], datetime],
    ) -> None:
        self.client = client
        self._tokens = tokens
        self._journal = journal
        self._on_broken = on_broken
        self._clock = clock

    async def send(self, chat_id: str, message: Outgoing) -> str:
        token = await self._tokens(chat_id)
        if token is None:
            raise RecipientGone("the Page is not linked any more, or its link is broken")
        text, link = render(message)
        key = message.key if self._journal is not None else None
        if key is not None:
            found = await self._posted_before(chat_id, token, key, text)
            if found is not None:
                return found
        try:
            if message.photo is not None:
                photo = message.photo
                post_id = await self.client.post_photo(chat_id, token, photo.data, photo.file_name, text)
            else:
                post_id = await self.client.post_text(chat_id, token, text, link)
        except GraphError as exc:
            raise await self._refusal(chat_id, exc) from None
        if key is not None:
            await self._record(chat_id, key, post_id)
        return post_id

    async def _refusal(self, page_id: str, exc: GraphError) -> SendError:
        """The error to raise for a failed call, whichever call it was: a token or permission
        refusal breaks the link and tells the admins (`on_broken`) on the feed read as on the
        post, or the outbox would switch the Page off with nobody told."""
        error = map_error(exc)
        if isinstance(error, RecipientGone) and self._on_broken is not None:
            await self._on_broken(page_id, error.reason)
        return error

    async def _posted_before(self, page_id: str, token: str, key: str, text: str) -> str | None:
        """After an interrupted attempt: our post, if it reached the Page (see `PostJournal`)."""
        assert self._journal is not None
        first, post_id = await self._journal.begin(page_id, key, self._clock())
        if first or post_id:
            return post_id
        try:
            posts = await self.client.recent_posts(page_id, token)
        except GraphError as exc:  # a token without pages_read_engagement fails here, not on posting
            raise await self._refusal(page_id, exc) from None
        same_words = [post for post in posts if (post.get("message") or "").strip() == text]
        known = await self._journal.known(page_id, [str(post.get("id")) for post in same_words])
        for post in same_words:
            if str(post.get("id")) not in known:
                log.info("facebook: post %s on Page %s was ours (an interrupted attempt); not posting again",
                         post["id"], page_id)
                await self._record(page_id, key, str(post["id"]))
                return str(post["id"])
        return None

    async def _record(self, page_id: str, key: str, post_id: str) -> None:
        assert self._journal is not None
        try:
            await self._journal.done(page_id, key, post_id)
        except Exception:  # the outbox records the post id too; a retry would find the post
            log.exception("facebook: could not note post %s in the journal", post_id)

    async def set_commands(self, chat_id: str, commands: Sequence[CommandMenuEntry]) -> None:
        """Pages have no command menu."""
