"""python-telegram-bot's HTTP layer on aiohttp, for the outbox's Bot.

PTB's default `HTTPXRequest` spends most of a send in httpx: against a local Bot API fake it
manages a few hundred messages a second, the same PTB `Bot` on aiohttp several thousand
(bench/bench_broadcast.py measures both). A broadcast to tens of thousands of members is
mostly HTTP, so the outbox's Bot uses this class; the interactive bot can keep the default.

Behaviour mirrors `HTTPXRequest` (PTB 22.8, `telegram/request/_httpxrequest.py`): one client
session for the object's lifetime (`initialize`/`shutdown`), a bounded connection pool with a
pool timeout whose error says the request was *not* sent, form-encoded parameters (multipart
when files are attached), and errors mapped to `TimedOut` / `NetworkError`.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_POOL_TIMEOUT_MESSAGE = (
    "Pool timeout: All connections in the connection pool are occupied. Request was *not* sent to "
    "Telegram. Consider adjusting the connection pool size or the pool timeout."
)


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` on one `aiohttp.ClientSession`.

    aiohttp has no write timeout of its own; the write (or media write) timeout bounds the
    whole request together with connect and read, so an upload can never hang forever.
    """

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool",
        "_pool_size",
        "_pool_timeout",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._pool: asyncio.Semaphore | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (inside the running loop, as aiohttp requires)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=self._pool_size)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
            )
            # Our own gate in front of the connector: waiting for it is the pool timeout, so a
            # timeout there is known not to have sent anything (the connector's own wait could
            # not tell a full pool from a slow connect).
            self._pool = asyncio.Semaphore(self._pool_size)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed or self._pool is None:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        default = BaseRequest.DEFAULT_NONE
        read = self._read_timeout if read_timeout is default else read_timeout
        connect = self._connect_timeout if connect_timeout is default else connect_timeout
        pool = self._pool_timeout if pool_timeout is default else pool_timeout
        if write_timeout is default:
            write = self._media_write_timeout if files else self._write_timeout
        else:
            write = write_timeout
        timeout = aiohttp.ClientTimeout(
            total=_total(connect, write, read), sock_connect=connect, sock_read=read
        )
        body, headers = _body(request_data, files)
        await self._acquire(pool)
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
        finally:
            self._pool.release()

    async def _acquire(self, pool_timeout: float | None) -> None:
        if not self._pool.locked():
            await self._pool.acquire()
            return
        try:
            async with asyncio.timeout(pool_timeout):
                await self._pool.acquire()
        except TimeoutError as err:
            raise TimedOut(message=_POOL_TIMEOUT_MESSAGE) from err


def _total(*parts: float | None) -> float | None:
    """The whole request's bound: the sum of its phases, or none if any phase is unbounded."""
    return None if any(part is None for part in parts) else sum(parts)


def _body(request_data: RequestData | None, files: dict | None) -> tuple[Any, dict[str, str] | None]:
    """Form-encoded parameters like HTTPXRequest sends, or multipart when there are files."""
    if request_data is None:
        return None, None
    if not files:
        encoded = request_data.url_encoded_parameters()
        return encoded.encode(), {"Content-Type": "application/x-www-form-urlencoded"}
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (file_name, content, mime_type) in files.items():
        if not isinstance(content, bytes | bytearray):
            with contextlib.suppress(AttributeError):
                content = content.read()
        form.add_field(name, content, filename=file_name, content_type=mime_type)
    return form, None
