"""A small Graph API client for publishing on Pages, on one aiohttp `ClientSession`.

Only what publishing needs: `POST /{page-id}/feed` (text and a link), `POST /{page-id}/photos`
(a photo and its caption) and `GET /{page-id}/feed` (recent posts, to find one a crash left
unrecorded). The Page token travels in the form body or the query string and is never put in
an exception or a log line: errors carry Facebook's code, subcode and message only.
"""

from __future__ import annotations

import json
import mimetypes
from typing import Any

import aiohttp

DEFAULT_BASE_URL = "https://graph.facebook.com/v26.0"


class GraphError(Exception):
    """A failed Graph call: Facebook's `error` object (code, subcode, message), or none at all."""

    def __init__(
        self,
        status: int | None,
        message: str,
        *,
        code: int | None = None,
        subcode: int | None = None,
        kind: str | None = None,
        transient: bool = False,
        regain_seconds: float | None = None,
    ) -> None:
        super().__init__(f"{status or 'network'} code={code} subcode={subcode}: {message}")
        self.status = status  # HTTP status; None: no answer (connection, timeout)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.kind = kind  # Facebook's error "type", e.g. OAuthException
        self.transient = transient  # Facebook's is_transient flag
        self.regain_seconds = regain_seconds  # from X-Business-Use-Case-Usage, when throttled


class GraphClient:
    """`await client.start()` before calls (or let the first call start it), `close()` after."""

    def __init__(self, base_url: str = DEFAULT_BASE_URL, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout, connect=10.0)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout, headers={"User-Agent": "KetNoi"})

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def post_text(self, page_id: str, token: str, message: str, link: str | None = None) -> str:
        """A text post (with a link preview if `link`); returns the post id."""
        form = {"message": message, "access_token": token}
        if link:
            form["link"] = link
        result = await self._call("POST", f"/{page_id}/feed", data=form)
        return str(result["id"])

    async def post_photo(self, page_id: str, token: str, photo: bytes, file_name: str, caption: str) -> str:
        """A photo post with its caption; returns the post id (the photo's own id if none came)."""
        form = aiohttp.FormData()
        form.add_field("caption", caption)
        form.add_field("access_token", token)
        form.add_field("source", photo, filename=file_name, content_type=_image_type(file_name))
        result = await self._call("POST", f"/{page_id}/photos", data=form)
        return str(result.get("post_id") or result["id"])

    async def recent_posts(self, page_id: str, token: str, limit: int = 50) -> list[dict[str, Any]]:
        """The Page's newest posts (id, message), newest first."""
        params = {"fields": "id,message,created_time", "limit": str(limit), "access_token": token}
        result = await self._call("GET", f"/{page_id}/feed", params=params)
        return list(result.get("data") or [])

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        await self.start()
        assert self._session is not None
        try:
            async with self._session.request(method, self.base_url + path, **kwargs) as response:
                body = await response.read()
                status, headers = response.status, response.headers
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise GraphError(None, type(exc).__name__) from None  # no URL: it may hold the token
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            data = {}
        if status == 200 and isinstance(data, dict) and "error" not in data:
            return data
        error = data.get("error") if isinstance(data, dict) else None
        if not isinstance(error, dict):
            raise GraphError(status, f"HTTP {status}")
        raise GraphError(
            status,
            str(error.get("message") or f"HTTP {status}"),
            code=_int(error.get("code")),
            subcode=_int(error.get("error_subcode")),
            kind=error.get("type"),
            transient=bool(error.get("is_transient")),
            regain_seconds=_regain_seconds(headers),
        )


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _regain_seconds(headers: Any) -> float | None:
    """`estimated_time_to_regain_access` (minutes) from the Business Use Case usage header."""
    raw = headers.get("X-Business-Use-Case-Usage")
    if not raw:
        return None
    try:
        usage = json.loads(raw)
        minutes = max(int(entry.get("estimated_time_to_regain_access") or 0)
                      for entries in usage.values() for entry in entries)
    except (ValueError, TypeError, AttributeError):
        return None
    return minutes * 60.0 if minutes > 0 else None


def _image_type(file_name: str) -> str:
    """The photo's type from its name, as the Zalo media store guesses it; PNG when unknown."""
    guessed, _ = mimetypes.guess_type(file_name)
    return guessed if guessed and guessed.startswith("image/") else "image/png"
