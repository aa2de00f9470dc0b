"""The options last shown in each Zalo chat, so that typing "2" means what pressing a button would.

On Telegram a pressed button carries its value; on Zalo the person types the number of an
option, or its words. The adapter remembers the options of the *last* message it sent to each
chat (a message without options forgets them: the question changed) — except a notice, which
never takes over an open question (see `ZaloSender.send`) — and turns a typed number
or label into the option's value before the dispatcher sees it. That makes buttons on notices
(accept a report, start the report from a reminder) work on Zalo too, not only flow steps.

They are kept in the database (`SharedOffers`): whichever process takes the answer knows the
question, and a restart between the two changes nothing. Entries older than `ttl` are ignored. A
row is keyed by a hash of the chat id and holds only the options, and it is deleted as soon as a
message without options follows.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.messages import Choice
from bot.core.numbers import option_number
from bot.services.people.units import fold
from storage.claims import upsert
from storage.models import ZaloOffer


@dataclass(frozen=True)
class Offer:
    values: tuple[str, ...]
    labels: tuple[str, ...]
    numbered: bool
    at: float


def _offer(choices: Sequence[Choice], numbered: bool, at: float, *, asks: bool = False) -> Offer | None:
    """What stays open after a message: its options, or (`asks`) a question typed in with none."""
    if not choices and not asks:
        return None
    return Offer(tuple(c.value for c in choices), tuple(c.label for c in choices), numbered, at)


def _key(chat_id: str) -> str:
    return hashlib.sha256(chat_id.encode()).hexdigest()[:32]


def pick(offer: Offer, text: str) -> str | None:
    """The value of the option `text` picks (its number, or its words), else None."""
    typed = text.strip().rstrip(".")
    number = option_number(typed)
    if offer.numbered and number is not None and 1 <= number <= len(offer.values):
        return offer.values[number - 1]
    folded = fold(typed)
    if not folded:
        return None
    for value, label in zip(offer.values, offer.labels, strict=True):
        # "Giữ nguyên" picks "Giữ nguyên: 350"; a tick mark in front does not count.
        words = fold(label.lstrip("✓ "))
        if folded in (words, fold(words.split(":", 1)[0])):
            return value
    return None


class _Reading:
    """What is answered from `_load` (kept apart from where offers are stored)."""

    ttl: float
    _clock: Callable[[], float]

    async def _load(self, chat_id: str) -> Offer | None:
        raise NotImplementedError

    async def is_open(self, chat_id: str) -> bool:
        """Whether the chat has options it may still answer by number (an open question)."""
        offer = await self._load(chat_id)
        return offer is not None and self._clock() - offer.at <= self.ttl

    async def resolve(self, chat_id: str, text: str) -> str | None:
        """The value of the option `text` picks (its number, or its words), else None."""
        offer = await self._load(chat_id)
        if offer is None or self._clock() - offer.at > self.ttl:
            return None
        return pick(offer, text)


class SharedOffers(_Reading):
    """Per chat: the options of the last message, in the database (no cache: another process may
    have asked a newer question since)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        ttl: float = 72 * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sessions = sessions
        self.ttl = ttl
        self._clock = clock

    async def remember(
        self, chat_id: str, choices: Sequence[Choice], *, numbered: bool, asks: bool = False
    ) -> None:
        """What the chat was just shown: these options (or none); `asks`: a question waits all the same."""
        now = self._clock()
        offer = _offer(choices, numbered, now, asks=asks)
        key = _key(chat_id)
        async with self._sessions() as session, session.begin():
            if offer is None:
                await session.execute(delete(ZaloOffer).where(ZaloOffer.chat_key == key))
                return
            values = {"values": list(offer.values), "labels": list(offer.labels), "numbered": numbered}
            await upsert(
                session, ZaloOffer, {"chat_key": key},
                {"offer": values, "offered_at": datetime.fromtimestamp(now, UTC)},
            )

    async def _load(self, chat_id: str) -> Offer | None:
        async with self._sessions() as session:
            row = (await session.execute(
                select(ZaloOffer.offer, ZaloOffer.offered_at).where(ZaloOffer.chat_key == _key(chat_id))
            )).first()
        if row is None:
            return None
        data, at = row
        try:
            return Offer(tuple(data["values"]), tuple(data["labels"]), bool(data["numbered"]), at.timestamp())
        except (KeyError, TypeError):
            return None

    async def prune(self) -> int:
        """Forget offers older than `ttl` (housekeeping)."""
        cutoff = datetime.fromtimestamp(self._clock() - self.ttl, UTC)
        async with self._sessions() as session, session.begin():
            result = await session.execute(delete(ZaloOffer).where(ZaloOffer.offered_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)
