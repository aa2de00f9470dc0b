"""`ZaloEmulator`: the Bot API, the scripted world and the control API, served as one aiohttp app."""

from __future__ import annotations

import time
from collections.abc import Callable

from aiohttp import web

from bot.emulator.common import Served
from bot.emulator.zalo.control import ControlApi
from bot.emulator.zalo.world import EmulatorError

DEFAULT_BOT_ID = "1459232241454765289"


class ZaloEmulator(Served, ControlApi):
    """The fake Zalo: Bot API server, a scriptable world of people and chats, and a transcript."""

    _error = EmulatorError

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

    def make_app(self) -> web.Application:
        """The aiohttp app; serve it with start() or mount it: `root.add_subapp("/zl", emu.make_app())`."""
        app = self._new_app(2 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_bot_api)
        app.router.add_get("/_emu/users", self._ctl_list_users)
        app.router.add_post("/_emu/users", self._ctl_create_user)
        app.router.add_post("/_emu/users/{user_id}/send", self._ctl_send)
        app.router.add_post("/_emu/users/{user_id}/photo", self._ctl_photo)
        app.router.add_post("/_emu/users/{user_id}/sticker", self._ctl_sticker)
        app.router.add_get("/_emu/chats/{chat_id}/messages", self._ctl_messages)
        app.router.add_get("/_emu/files/{name}", self._ctl_file)
        return app
