"""The JSON control API under ``/_emu/`` through which the demo page (static/chat.html) acts and reads.

People are listed and created, write and tap buttons; the page long-polls a chat's transcript and
fetches files. Meant for localhost only: the control API has no authentication.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from bot.emulator.common import CONTROL_WAIT_MAX_SECONDS as CONTROL_WAIT_MAX_SECONDS
from bot.emulator.common import ctl_act, ctl_error, json_body, wait_seconds
from bot.emulator.telegram.people import People
from bot.emulator.telegram.world import IMAGE_MAGIC, Stored


class ControlApi(People):
    """Handlers of ``/_emu/...``; they reply {"ok": false, "description"} on bad input or impossible acts."""

    async def _ctl_list_users(self, _request: web.Request) -> web.Response:
        return web.json_response(list(self._users.values()))

    async def _ctl_create_user(self, request: web.Request) -> web.Response:
        """Body {"id"?, "first_name", "last_name"?, "username"?}; without an id, the next free one."""
        body = await json_body(request)
        first_name = str(body.get("first_name") or "").strip()
        if not first_name:
            return ctl_error(400, "first_name is required")
        try:
            user_id = int(body.get("id") or max(self._users, default=9000) + 1)
        except (TypeError, ValueError):
            return ctl_error(400, "id must be an integer")
        if user_id <= 0:
            return ctl_error(400, "user ids are positive")
        user = self.add_user(
            user_id, first_name, last_name=body.get("last_name"), username=body.get("username")
        )
        return web.json_response(user)

    async def _ctl_send(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        text = str(body.get("text") or "")
        if not text.strip():
            return ctl_error(400, "text is required")
        return await ctl_act(self.send_text(int(request.match_info["user_id"]), text))

    async def _ctl_press(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        try:
            message_id = int(body["message_id"])
        except (KeyError, TypeError, ValueError):
            return ctl_error(400, "message_id must be an integer")
        return await ctl_act(
            self.press_button(int(request.match_info["user_id"]), message_id, str(body.get("data", "")))
        )

    async def _ctl_messages(self, request: web.Request) -> web.Response:
        """Messages of both sides with message_id > after (or changed after revision ``since``).

        With ``wait`` it long-polls until something new exists. The reply's ``rev`` is the cursor to pass
        as ``since`` next time, so the page also sees edits of messages it already shows; ``deleted``
        names the chat's messages deleteMessage removed, for the page to drop.
        """
        chat_id = int(request.match_info["chat_id"])
        try:
            after = int(request.query.get("after", 0))
            since = int(request.query["since"]) if "since" in request.query else None
            wait = wait_seconds(request.query)
        except ValueError:
            return ctl_error(400, "after, since and wait must be numbers")

        def fresh() -> list[Stored]:
            return [
                s
                for s in self._log.get(chat_id, {}).values()
                if s.message["message_id"] > after or (since is not None and s.rev > since)
            ]

        await self.wait_for(fresh, timeout=wait)
        deleted = [message_id for chat, message_id in self.deleted if chat == chat_id]  # the page drops these
        return web.json_response({"messages": [self._entry(s) for s in fresh()], "rev": self._rev, "deleted": deleted})

    async def _ctl_commands(self, request: web.Request) -> web.Response:
        """The chat's command menu as a Telegram client would show it (see menu_shown)."""
        return web.json_response(self.menu_shown(int(request.match_info["chat_id"])))

    async def _ctl_file(self, request: web.Request) -> web.Response:
        stored = self._files.get(request.match_info["file_id"])
        if stored is None:
            return ctl_error(404, "unknown file")
        # Only images are served inline; anything else is a download, so a bot-sent HTML file can
        # never run as a page on the demo's origin.
        content_type = next((ct for magic, ct in IMAGE_MAGIC if stored.data.startswith(magic)), None)
        headers = {"X-Content-Type-Options": "nosniff"}
        if content_type is None:
            content_type = "application/octet-stream"
            name = stored.file_name or request.match_info["file_id"]
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name, safe='')}"
        return web.Response(body=stored.data, content_type=content_type, headers=headers)
