"""What the Telegram and Zalo emulators share: waking waiters, serving the app, the control API's plumbing.

* ``Changes``: one condition that wakes every waiter (long polls, ``wait_for``, the demo page) on any change.
* ``Served``: serving the emulator's aiohttp app on its own socket (``start``/``stop``, ``async with``), or
  mounting it in another app and telling it where (``set_root``); ``root_url`` is where it is reachable.
* ``json_body``, ``ctl_act``, ``ctl_error``, ``wait_seconds``: the ``/_emu/`` control API's request and
  reply helpers, for the demo page that serves both emulators.
* ``common_methods``: the Bot API methods both platforms name alike, mapped to their handlers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, Protocol, Self

from aiohttp import ClientSession, web

JSON = dict[str, Any]
Handler = Callable[[JSON], Awaitable[Any]]

CONTROL_WAIT_MAX_SECONDS = 25


class EmulatorError(Exception):
    """A scripted action is impossible in the fake world; each emulator raises its own subclass."""


class Changes:
    """One condition wakes every waiter (long polls, wait_for_messages, the demo page) on any change."""

    def __init__(self) -> None:
        self._changed = asyncio.Condition()
        self._closing = False

    async def wait_for(self, predicate: Callable[[], Any], *, timeout: float | None = None) -> bool:  # noqa: ASYNC109
        """Wait until ``predicate()`` is true (re-checked after every change); returns its final truth.

        Without ``timeout`` the wait has no deadline (only the emulator closing ends it): a test
        waits for what it expects however busy the machine is, and the per-test timeout
        (pytest-timeout) turns a real hang into a named failure. Long polls pass their own timeout.
        """
        async with self._changed:
            try:
                async with asyncio.timeout(timeout):
                    await self._changed.wait_for(lambda: predicate() or self._closing)
            except TimeoutError:
                pass
            return bool(predicate())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


class Served(Changes):
    """Serving ``make_app()`` on our own socket, or mounted as a sub-app of another one.

    Mixed into the emulator class, before its Bot API and control API layers. ``_error`` is the
    emulator's own EmulatorError subclass; ``_session`` is the webhook client of its update layer.
    """

    _error: ClassVar[type[EmulatorError]] = EmulatorError
    _runner: web.AppRunner | None = None
    _root: str | None = None
    _session: ClientSession | None

    def make_app(self) -> web.Application:
        raise NotImplementedError

    def _new_app(self, client_max_size: int) -> web.Application:
        """An empty app whose shutdown wakes every long poll and whose cleanup closes the webhook client."""
        app = web.Application(client_max_size=client_max_size)
        app.on_shutdown.append(self._on_shutdown)
        app.on_cleanup.append(self._on_cleanup)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on our own socket (port 0 = any free port); returns the root URL."""
        self._closing = False
        self._runner = web.AppRunner(self.make_app(), shutdown_timeout=5.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.set_root(f"http://{host}:{self._runner.addresses[0][1]}")
        return self.root_url

    async def stop(self) -> None:
        """Wake every long poll, stop serving (if start() was used) and close the webhook client."""
        await self._on_shutdown()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self._on_cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def set_root(self, root_url: str) -> None:
        """Where the app is reachable, e.g. "http://127.0.0.1:8080/tg" when mounted as a sub-app at /tg."""
        self._root = root_url.rstrip("/")

    @property
    def root_url(self) -> str:
        if self._root is None:
            raise self._error("the emulator's URL is unknown: call start() or set_root() first")
        return self._root

    @property
    def base_url(self) -> str:
        """The Bot API's base (PTB's base_url, ZALO_API_BASE_URL): the token and "/<method>" are appended."""
        return f"{self.root_url}/bot"

    async def _on_shutdown(self, _app: web.Application | None = None) -> None:
        self._closing = True
        await self._notify()

    async def _on_cleanup(self, _app: web.Application | None = None) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


# ---------------------------------------------------------------------- the Bot API


class CommonMethods(Protocol):
    """The handlers of the Bot API methods that Telegram and Zalo name alike."""

    async def _get_me(self, params: JSON, /) -> Any: ...
    async def _get_updates(self, params: JSON, /) -> Any: ...
    async def _set_webhook(self, params: JSON, /) -> Any: ...
    async def _delete_webhook(self, params: JSON, /) -> Any: ...
    async def _get_webhook_info(self, params: JSON, /) -> Any: ...
    async def _send_message(self, params: JSON, /) -> Any: ...
    async def _send_photo(self, params: JSON, /) -> Any: ...
    async def _send_chat_action(self, params: JSON, /) -> Any: ...


def common_methods(api: CommonMethods) -> Mapping[str, Handler]:
    """Method name -> handler for the methods both platforms have (each emulator adds its own)."""
    return {
        "getMe": api._get_me,
        "getUpdates": api._get_updates,
        "setWebhook": api._set_webhook,
        "deleteWebhook": api._delete_webhook,
        "getWebhookInfo": api._get_webhook_info,
        "sendMessage": api._send_message,
        "sendPhoto": api._send_photo,
        "sendChatAction": api._send_chat_action,
    }


# ---------------------------------------------------------------------- the control API (/_emu/)


async def json_body(request: web.Request, *, empty_ok: bool = False) -> JSON:
    """The request's JSON object; with ``empty_ok``, {} for a request without a body."""
    if empty_ok and not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(
            text='{"ok": false, "description": "invalid JSON"}', content_type="application/json"
        ) from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(
            text='{"ok": false, "description": "expected a JSON object"}', content_type="application/json"
        )
    return body


def wait_seconds(query: Mapping[str, str]) -> float:
    """A long poll's ``wait`` parameter, clamped to 0..CONTROL_WAIT_MAX_SECONDS; ValueError if no number."""
    return min(max(float(query.get("wait", 0)), 0.0), CONTROL_WAIT_MAX_SECONDS)


async def ctl_act(action: Awaitable[Any]) -> web.Response:
    """Run a scripted act: {"ok": true}, or a 400 saying why it is impossible."""
    try:
        await action
    except EmulatorError as error:
        return ctl_error(400, str(error))
    return web.json_response({"ok": True})


def ctl_error(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "description": description}, status=status)
