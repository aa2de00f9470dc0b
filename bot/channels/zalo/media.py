"""Our own images and files, served so that Zalo can fetch them.

Zalo's sendPhoto takes a URL, not an upload, so a QR code or a chart we drew is kept in memory
for a while and served from `/media/<token>.<ext>` on our web server (`PUBLIC_BASE_URL` must
reach it). Tokens are random and unguessable; the same bytes get the same URL, so a broadcast
with one picture to many people stores it once. Entries expire.

They are kept in the database (`SharedMedia`): Zalo's fetch may reach any of several processes
behind one address, not only the one that sent the message.
"""

from __future__ import annotations

import hashlib
import mimetypes
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from urllib.parse import quote

from aiohttp import web
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import ServedFile

MEDIA_ROUTE = "/media/{name}"
_INLINE = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


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
