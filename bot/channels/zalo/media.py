"""Our own images and files, served so that Zalo can fetch them.

Zalo's sendPhoto takes a URL, not an upload, so a QR code or a chart we drew is kept in memory
for a while and served from `/media/<token>.<ext>` on our web server (`PUBLIC_BASE_URL` must
reach it). Tokens are random and unguessable; the same bytes get the same URL, so a broadcast
with one picture to many people stores it once. Entries expire.

The service keeps them in the database (`SharedMedia`): Zalo's fetch may reach any of several
processes behind one address, not only the one that sent the message. `MediaStore` keeps them in
this process's memory (bounded in total size), for a channel run on its own.
"""

from __future__ import annotations

import hashlib
import mimetypes
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from urllib.parse import quote

from aiohttp import web
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import ServedFile

MEDIA_ROUTE = "/media/{name}"
_INLINE = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@dataclass
class _Item:
    data: bytes
    file_name: str
    content_type: str
    expires: float
    digest: str


class MediaStore:
    """In-memory files behind unguessable names, for `ttl` seconds, `max_bytes` at most."""

    def __init__(
        self,
        *,
        ttl: float = 24 * 3600,
        max_bytes: int = 64 * 1024 * 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_bytes = max_bytes
        self._clock = clock
        self._items: OrderedDict[str, _Item] = OrderedDict()  # oldest first
        self._by_digest: dict[str, str] = {}
        self._size = 0

    async def put(self, data: bytes, file_name: str) -> str:
        """Keep the file; returns its name under /media/ (e.g. "Xk3...Qa.png")."""
        self._expire()
        digest = hashlib.sha256(data).hexdigest() + "/" + file_name
        now = self._clock()
        known = self._by_digest.get(digest)
        if known is not None and known in self._items:
            self._items[known].expires = now + self.ttl
            self._items.move_to_end(known)
            return known
        name, content_type = _new_name(file_name)
        self._items[name] = _Item(data, file_name, content_type, now + self.ttl, digest)
        self._by_digest[digest] = name
        self._size += len(data)
        while self._size > self.max_bytes and len(self._items) > 1:
            self._drop(next(iter(self._items)))
        return name

    def get(self, name: str) -> _Item | None:
        self._expire()
        return self._items.get(name)

    async def handle(self, request: web.Request) -> web.Response:
        """GET /media/{name}: the file, or 404 once it expired (or never existed)."""
        item = self.get(request.match_info["name"])
        if item is None:
            raise web.HTTPNotFound()
        return _response(item.data, item.file_name, item.content_type)

    def _expire(self) -> None:
        now = self._clock()
        while self._items:
            name, item = next(iter(self._items.items()))
            if item.expires > now:
                break
            self._drop(name)

    def _drop(self, name: str) -> None:
        item = self._items.pop(name)
        self._size -= len(item.data)
        if self._by_digest.get(item.digest) == name:
            del self._by_digest[item.digest]


def _new_name(file_name: str) -> tuple[str, str]:
    """A random, unguessable name keeping a short ASCII suffix; and the file's content type."""
    suffix = PurePosixPath(file_name).suffix.lower()
    name = secrets.token_urlsafe(24) + (suffix if suffix.isascii() and len(suffix) <= 8 else "")
    return name, mimetypes.guess_type(file_name)[0] or "application/octet-stream"


def _response(data: bytes, file_name: str, content_type: str) -> web.Response:
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"}
    if content_type not in _INLINE:
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(file_name, safe='')}"
    return web.Response(body=data, content_type=content_type, headers=headers)


class SharedMedia:
    """Files behind unguessable names, for `ttl` seconds, in the database: every process serves them."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        ttl: float = 24 * 3600,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessions = sessions
        self.ttl = timedelta(seconds=ttl)
        self._clock = clock

    async def put(self, data: bytes, file_name: str) -> str:
        """Keep the file; returns its name under /media/. The same bytes and name keep one row."""
        digest = hashlib.sha256(data + b"\0" + file_name.encode()).hexdigest()
        now = self._clock()
        async with self._sessions() as session, session.begin():
            row = await session.scalar(
                select(ServedFile).where(ServedFile.digest == digest, ServedFile.expires_at > now).limit(1)
            )
            if row is not None:
                row.expires_at = now + self.ttl
                return row.name
            name, content_type = _new_name(file_name)
            session.add(ServedFile(
                name=name, digest=digest, file_name=file_name[:255], content_type=content_type, data=data,
                expires_at=now + self.ttl,
            ))
            return name

    async def handle(self, request: web.Request) -> web.Response:
        """GET /media/{name}: the file, or 404 once it expired (or never existed)."""
        async with self._sessions() as session:
            row = (await session.execute(
                select(ServedFile.data, ServedFile.file_name, ServedFile.content_type).where(
                    ServedFile.name == request.match_info["name"], ServedFile.expires_at > self._clock()
                )
            )).first()
        if row is None:
            raise web.HTTPNotFound()
        return _response(*row)

    async def prune(self) -> int:
        """Delete expired files (housekeeping)."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(delete(ServedFile).where(ServedFile.expires_at <= self._clock()))
        return int(getattr(result, "rowcount", 0) or 0)
