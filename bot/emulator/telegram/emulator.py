"""``TelegramEmulator``: the Bot API, the scripted world and the control API, served as one aiohttp app."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Self

from aiohttp import web

from bot.emulator.telegram.api import BotApi
from bot.emulator.telegram.control import ControlApi
from bot.emulator.telegram.wire import JSON, MAX_REQUEST_BYTES
from bot.emulator.telegram.world import EmulatorError


class TelegramEmulator(BotApi, ControlApi):
    """The fake Telegram: Bot API server, a scriptable world of people and chats, and a transcript."""

    def __init__(
        self,
        token: str,
        *,
        bot_username: str = "ketnoi_demo_bot",
        bot_id: int = 7000000001,
        bot_first_name: str = "Kết Nối",
        enforce_limits: bool = False,
        overall_per_second: int = 30,
        per_chat_per_second: int = 1,
        per_group_per_minute: int = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": True,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        super().__init__(
            bot_user,
            token=token,
            enforce_limits=enforce_limits,
            overall_per_second=overall_per_second,
            per_chat_per_second=per_chat_per_second,
            per_group_per_minute=per_group_per_minute,
            clock=clock,
        )
        self._runner: web.AppRunner | None = None
        self._root: str | None = None

    def make_app(self) -> web.Application:
        """The aiohttp app; serve it with start() or mount it: ``root.add_subapp("/tg", emu.make_app())``.

        When mounted, the root app's ``client_max_size`` bounds uploads, so raise it there too.
        """
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_bot_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file_download)
        app.router.add_get("/_emu/users", self._ctl_list_users)
        app.router.add_post("/_emu/users", self._ctl_create_user)
        app.router.add_post(r"/_emu/users/{user_id:-?\d+}/send", self._ctl_send)
        app.router.add_post(r"/_emu/users/{user_id:-?\d+}/press", self._ctl_press)
        app.router.add_get(r"/_emu/chats/{chat_id:-?\d+}/messages", self._ctl_messages)
        app.router.add_get("/_emu/files/{file_id}", self._ctl_file)
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
        """Where the app is reachable, e.g. "http://127.0.0.1:8080/tg" when mounted as a sub-app."""
        self._root = root_url.rstrip("/")

    @property
    def root_url(self) -> str:
        if self._root is None:
            raise EmulatorError("the emulator's URL is unknown: call start() or set_root() first")
        return self._root

    @property
    def base_url(self) -> str:
        """PTB's base_url convention: PTB appends the token, then "/<method>"."""
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.root_url}/file/bot"

    async def _on_shutdown(self, _app: web.Application | None = None) -> None:
        self._closing = True
        await self._notify()

    async def _on_cleanup(self, _app: web.Application | None = None) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
