"""The JSON control API under `/_emu/` through which the demo page (static/chat.html) acts and reads.

The same routes as the Telegram emulator's, so one page serves both: people are listed and
created, write (text, a photo, a sticker); the page long-polls a chat's transcript (`after` is a
message's `seq`) and fetches the people's photos. Meant for localhost only: no authentication.
"""

from __future__ import annotations

from aiohttp import web

from bot.emulator.common import CONTROL_WAIT_MAX_SECONDS as CONTROL_WAIT_MAX_SECONDS
from bot.emulator.common import ctl_act, ctl_error, json_body, wait_seconds
from bot.emulator.zalo.api import BotApi
from bot.emulator.zalo.wire import JSON


class ControlApi(BotApi):
    """Handlers of `/_emu/...`; they reply {"ok": false, "description"} on bad input or impossible acts."""

    async def _ctl_list_users(self, _request: web.Request) -> web.Response:
        return web.json_response(list(self._users.values()))

    async def _ctl_create_user(self, request: web.Request) -> web.Response:
        """Body {"id"?, "display_name" (or "first_name")}; without an id, a new Zalo-like one."""
        body = await json_body(request, empty_ok=True)
        name = str(body.get("display_name") or body.get("first_name") or "").strip()
        if not name:
            return ctl_error(400, "display_name is required")
        return web.json_response(self.add_user(str(body["id"]) if body.get("id") else None, name))

    async def _ctl_send(self, request: web.Request) -> web.Response:
        body = await json_body(request, empty_ok=True)
        text = str(body.get("text") or "")
        if not text.strip():
            return ctl_error(400, "text is required")
        return await ctl_act(self.send_text(request.match_info["user_id"], text))

    async def _ctl_photo(self, request: web.Request) -> web.Response:
        body = await json_body(request, empty_ok=True)
        caption = str(body.get("caption") or "") or None
        return await ctl_act(self.send_photo(request.match_info["user_id"], caption=caption))

    async def _ctl_sticker(self, request: web.Request) -> web.Response:
        return await ctl_act(self.send_sticker(request.match_info["user_id"]))

    async def _ctl_messages(self, request: web.Request) -> web.Response:
        """Messages of both sides with seq > after; with `wait`, long-polls until there is one."""
        chat_id = request.match_info["chat_id"]
        try:
            after = int(request.query.get("after", 0))
            wait = wait_seconds(request.query)
        except ValueError:
            return ctl_error(400, "after and wait must be numbers")

        def fresh() -> list[JSON]:
            return [m for m in self.messages(chat_id, from_bot=None) if m["seq"] > after]

        await self.wait_for(fresh, timeout=wait)
        return web.json_response({"messages": fresh(), "rev": self._seq})

    async def _ctl_file(self, request: web.Request) -> web.Response:
        data = self._files.get(request.match_info["name"])
        if data is None:
            return ctl_error(404, "unknown file")
        return web.Response(body=data, content_type="image/png", headers={"X-Content-Type-Options": "nosniff"})
