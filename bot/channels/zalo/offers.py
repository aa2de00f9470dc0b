"""The options last shown in each Zalo chat, so that typing "2" means what pressing a button would.

On Telegram a pressed button carries its value; on Zalo the person types the number of an
option, or its words. The adapter remembers the options of the *last* message it sent to each
chat (a message without options forgets them: the question changed) — except a notice, which
never takes over an open question (see `ZaloSender.send`) — and turns a typed number
or label into the option's value before the dispatcher sees it. That makes buttons on notices
(accept a report, start the report from a reminder) work on Zalo too, not only flow steps.

The service keeps them in the database (`SharedOffers`): whichever process takes the answer knows
the question, and a restart between the two changes nothing. `Offers` keeps them in small files
(or in memory only), for a channel run on its own. Entries older than `ttl` are ignored. A row or
file is keyed by a hash of the chat id and holds only the options, and it is deleted as soon as a
message without options follows.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

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


def _offer(choices: Sequence[Choice], numbered: bool, at: float) -> Offer | None:
    if not choices:
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
    """What both keepers answer from their `_load`."""

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


class Offers(_Reading):
    """Per chat: the options of the last message, in files. `directory` None keeps them in memory only."""

    def __init__(
        self,
        directory: Path | None,
        *,
        ttl: float = 72 * 3600,
        max_cached: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = directory
        self.ttl = ttl
        self.max_cached = max_cached
        self._clock = clock
        self._cache: OrderedDict[str, Offer | None] = OrderedDict()
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)

    async def remember(self, chat_id: str, choices: Sequence[Choice], *, numbered: bool) -> None:
        """What the chat was just shown: these options (or none)."""
        offer = _offer(choices, numbered, self._clock())
        self._cache_put(chat_id, offer)
        path = self._path(chat_id)
        if path is None:
            return
        if offer is None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            return
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(offer.__dict__, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)

    async def _load(self, chat_id: str) -> Offer | None:
        if chat_id in self._cache:
            self._cache.move_to_end(chat_id)
            return self._cache[chat_id]
        path = self._path(chat_id)
        offer = None
        if path is not None and path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                offer = Offer(tuple(data["values"]), tuple(data["labels"]), bool(data["numbered"]), data["at"])
            except (ValueError, KeyError, TypeError):
                offer = None
        self._cache_put(chat_id, offer)
        return offer

    def _cache_put(self, chat_id: str, offer: Offer | None) -> None:
        self._cache[chat_id] = offer
        self._cache.move_to_end(chat_id)
        while len(self._cache) > self.max_cached:
            self._cache.popitem(last=False)

    def _path(self, chat_id: str) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / f"{_key(chat_id)}.json"


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

    async def remember(self, chat_id: str, choices: Sequence[Choice], *, numbered: bool) -> None:
        """What the chat was just shown: these options (or none)."""
        now = self._clock()
        offer = _offer(choices, numbered, now)
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
