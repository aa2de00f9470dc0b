"""``TelegramEmulator``: the Bot API, the scripted world and the control API, served as one aiohttp app."""

from __future__ import annotations

import time
from collections.abc import Callable

from aiohttp import web

from bot.emulator.common import Served
from bot.emulator.telegram.api import BotApi
from bot.emulator.telegram.control import ControlApi
from bot.emulator.telegram.wire import JSON, MAX_REQUEST_BYTES
from bot.emulator.telegram.world import EmulatorError


class TelegramEmulator(Served, BotApi, ControlApi):
    """The fake Telegram: Bot API server, a scriptable world of people and chats, and a transcript."""

    _error = EmulatorError

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

    def make_app(self) -> web.Application:
        """The aiohttp app; serve it with start() or mount it: ``root.add_subapp("/tg", emu.make_app())``.

        When mounted, the root app's ``client_max_size`` bounds uploads, so raise it there too.
        """
        app = self._new_app(MAX_REQUEST_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_bot_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file_download)
        app.router.add_get("/_emu/users", self._ctl_list_users)
        app.router.add_post("/_emu/users", self._ctl_create_user)
        app.router.add_post(r"/_emu/users/{user_id:-?\d+}/send", self._ctl_send)
        app.router.add_post(r"/_emu/users/{user_id:-?\d+}/press", self._ctl_press)
        app.router.add_get(r"/_emu/chats/{chat_id:-?\d+}/messages", self._ctl_messages)
        app.router.add_get(r"/_emu/chats/{chat_id:-?\d+}/commands", self._ctl_commands)
        app.router.add_get("/_emu/files/{file_id}", self._ctl_file)
        return app

    @property
    def base_file_url(self) -> str:
        return f"{self.root_url}/file/bot"
