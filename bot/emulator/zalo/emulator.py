"""`ZaloEmulator`: the Bot API, the scripted world and the control API, served as one aiohttp app."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Self

from aiohttp import web

from bot.emulator.zalo.control import ControlApi

DEFAULT_BOT_ID = "1459232241454765289"


class ZaloEmulator(ControlApi):
    """The fake Zalo: Bot API server, a scriptable world of people and chats, and a transcript."""

    def __init__(
        self,
        token: str,
        *,
        bot_id: str = DEFAULT_BOT_ID,
        account_name: str = "bot.KetNoi",
        display_name: str = "Bot Kết Nối",
        quota_per_second: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        bot_user = {
            "id": bot_id,
            "account_name": account_name,
            "account_type": "BASIC",
            "can_join_groups": False,
            "display_name": display_name,
            "is_bot": True,
        }
        super().__init__(bot_user, token=token, quota_per_second=quota_per_second, clock=clock)
        self._runner: web.AppRunner | None = None

    def make_app(self) -> web.Application:
        """The aiohttp app; serve it with start() or mount it: `root.add_subapp("/zl", emu.make_app())`."""
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_bot_api)
        app.router.add_get("/_emu/users", self._ctl_list_users)
        app.router.add_post("/_emu/users", self._ctl_create_user)
        app.router.add_post("/_emu/users/{user_id}/send", self._ctl_send)
        app.router.add_post("/_emu/users/{user_id}/photo", self._ctl_photo)
        app.router.add_post("/_emu/users/{user_id}/sticker", self._ctl_sticker)
        app.router.add_get("/_emu/chats/{chat_id}/messages", self._ctl_messages)
        app.router.add_get("/_emu/files/{name}", self._ctl_file)
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

    @property
    def base_url(self) -> str:
        """ZALO_API_BASE_URL: the token and "/<method>" are appended."""
        return f"{self.root_url}/bot"

    async def _on_shutdown(self, _app: web.Application | None = None) -> None:
        self._closing = True
        await self._notify()

    async def _on_cleanup(self, _app: web.Application | None = None) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
