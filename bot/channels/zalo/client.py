"""A small client of the Zalo Bot API on one aiohttp `ClientSession` for its whole life.

Zalo's API looks like Telegram's (`<base>/bot<token>/<method>`, an `ok`/`result`/`error_code`/
`description` envelope) but is much thinner: no `retry_after`, no update ids, `getUpdates`
hands out one event per call and answers 408 when none arrived in time
(shared/api/telegram-zalo-facts.md, section 5). Whether errors come with the HTTP status of
their `error_code` or with 200 is undocumented, so both are read the same way.

Calls that change nothing (or whose repetition is harmless) are retried a few times on
transient failures; a `sendMessage` is retried only when the request provably never left
(the connection could not be made), so a person never gets a message twice from us.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.channels.json_body import BadBody, json_object

DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com/bot"
NO_UPDATE = 408  # getUpdates: nothing arrived within the timeout
# Calls that may be repeated without effect on the person (setWebhook sets the same URL again).
IDEMPOTENT = frozenset({"getMe", "getWebhookInfo", "setWebhook", "deleteWebhook", "sendChatAction"})

log = logging.getLogger(__name__)


class ZaloError(Exception):
    """A failed call. `status` is Zalo's error_code (or the HTTP status); None = no answer at all."""

    def __init__(self, method: str, status: int | None, description: str, *, sent: bool = True) -> None:
        super().__init__(f"{method}: {status or 'network'} {description}")
        self.method = method
        self.status = status
        self.description = description
        self.sent = sent  # False: the request certainly never reached Zalo

    @property
    def transient(self) -> bool:
        """Network trouble, a timeout or a server error: the same call may work later."""
        return self.status is None or self.status >= 500 or self.status == NO_UPDATE


class ZaloClient:
    """`await client.start()` (or `async with`) before calls, `await client.close()` after."""

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 15.0,
        connect_timeout: float = 5.0,
        retries: int = 2,
        backoff: float = 0.5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._url = f"{base_url.rstrip('/')}{token}/"
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None

    async def download(self, url: str, max_bytes: int = 20 * 1024 * 1024) -> bytes:
        """A file a person sent (Zalo gives its URL), for content that is broadcast again."""
        if self._session is None or self._session.closed:
            await self.start()
        async with self._session.get(url) as response:
            response.raise_for_status()
            data = await response.content.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ValueError("file too large")
        return data

    async def start(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=64), headers={"User-Agent": "KetNoi"}
            )

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def __aenter__(self) -> ZaloClient:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ the methods

    async def get_me(self) -> dict[str, Any]:
        return await self.call("getMe")

    async def get_update(self, timeout: int = 30) -> dict[str, Any] | None:  # noqa: ASYNC109 (Zalo's parameter)
        """One event (its `result`: `{"event_name", "message"}`), or None when none came in time."""
        try:
            # Zalo's timeout parameter is a string of seconds; our read timeout must outlast it.
            return await self.call("getUpdates", {"timeout": str(timeout)}, read_timeout=timeout + 10)
        except ZaloError as exc:
            if exc.status == NO_UPDATE:
                return None
            raise

    async def set_webhook(self, url: str, secret_token: str) -> dict[str, Any]:
        return await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> dict[str, Any]:
        return await self.call("deleteWebhook")

    async def get_webhook_info(self) -> dict[str, Any]:
        return await self.call("getWebhookInfo")

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        """Text of 1-2000 characters; returns {"message_id", "date"}."""
        return await self.call("sendMessage", {"chat_id": chat_id, "text": text})

    async def send_photo(self, chat_id: str, photo_url: str, caption: str | None = None) -> dict[str, Any]:
        """Zalo takes photos by URL only: it fetches them itself."""
        params = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            params["caption"] = caption
        return await self.call("sendPhoto", params, read_timeout=self.timeout * 2)

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> Any:
        return await self.call("sendChatAction", {"chat_id": chat_id, "action": action})

    # ------------------------------------------------------------------ plumbing

    async def call(self, method: str, params: dict[str, Any] | None = None, *, read_timeout: float | None = None) -> Any:
        """POST the parameters as JSON; the `result`, or `ZaloError` after the allowed retries."""
        attempt = 0
        while True:
            try:
                return await self._call_once(method, params or {}, read_timeout or self.timeout)
            except ZaloError as exc:
                repeatable = method in IDEMPOTENT or not exc.sent
                if not (exc.transient and exc.status != NO_UPDATE and repeatable) or attempt >= self.retries:
                    raise
                attempt += 1
                log.info("zalo: %s failed (%s), retry %d of %d", method, exc.status or "network", attempt,
                         self.retries)
                await self._sleep(self.backoff * 2 ** (attempt - 1))

    async def _call_once(self, method: str, params: dict[str, Any], read_timeout: float) -> Any:
        if self._session is None or self._session.closed:
            raise RuntimeError("ZaloClient is not started")
        timeout = aiohttp.ClientTimeout(
            total=read_timeout + self.connect_timeout, sock_connect=self.connect_timeout, sock_read=read_timeout
        )
        try:
            async with self._session.post(self._url + method, json=params, timeout=timeout) as response:
                status, body = response.status, await response.read()
        except aiohttp.ClientConnectorError as exc:
            raise ZaloError(method, None, f"cannot connect: {exc.__class__.__name__}", sent=False) from exc
        except TimeoutError as exc:
            raise ZaloError(method, None, "timed out") from exc
        except aiohttp.ClientError as exc:
            raise ZaloError(method, None, f"{exc.__class__.__name__}") from exc
        return _result(method, status, body)


def _result(method: str, status: int, body: bytes) -> Any:
    """The envelope's result; its error_code wins over the HTTP status when both are there."""
    try:
        data: dict[str, Any] | None = json_object(body)
    except BadBody:
        data = None
    if data is None:
        raise ZaloError(method, status if status >= 400 else 502, "the answer is not a JSON object")
    if data.get("ok") is True and status < 400:
        return data.get("result")
    code = data.get("error_code")
    code = code if isinstance(code, int) and code > 0 else (status if status >= 400 else 500)
    raise ZaloError(method, code, str(data.get("description") or "unknown error"))
