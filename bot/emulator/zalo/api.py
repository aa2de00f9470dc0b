"""The Bot API methods the bot calls: dispatch of `/bot<token>/<method>` and what each does.

Every call is recorded in `calls`; then faults scripted with `fail_next` (e.g. 429 "Quota
exceeded") and, with `quota_per_second`, a quota apply. Zalo publishes no rate limit, so the
quota is only there to let tests see a 429. Messages the bot sends join the transcript.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.emulator.common import common_methods
from bot.emulator.zalo.people import People
from bot.emulator.zalo.wire import JSON, ApiError, ok_response, read_params, text_param

_CHAT_ACTIONS = frozenset({"typing", "upload_photo"})


@dataclass
class Fault:
    method: str
    error_code: int
    description: str
    times: int
    chat_id: str | None


class BotApi(People):
    """The server's side of `/bot<token>/<method>` (method names are case-sensitive)."""

    def __init__(self, bot_user: JSON, *, token: str, quota_per_second: float | None,
                 clock: Callable[[], float]) -> None:
        super().__init__(bot_user)
        self.token = token
        self.quota_per_second = quota_per_second
        self.throttled_count = 0  # 429s produced by the quota (not by fail_next)
        self._clock = clock
        self._sent_at: deque[float] = deque()
        self._faults: list[Fault] = []
        self._api: dict[str, Callable[[JSON], Awaitable[Any]]] = {
            **common_methods(self),
            "sendSticker": self._send_sticker,
        }

    def fail_next(
        self, method: str, error_code: int, description: str, *, times: int = 1, chat_id: str | None = None
    ) -> None:
        """Make the next `times` calls of `method` (optionally for one chat) fail like this."""
        self._faults.append(Fault(method, error_code, description, times, chat_id))

    async def _handle_bot_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return ApiError(401, "Unauthorized: the access token is invalid or expired").response()
        method = request.match_info["method"]
        handler = self._api.get(method)
        if handler is None:
            return ApiError(400, f"Bad request: invalid API name {method}").response()
        try:
            params = await read_params(request)
            self.calls.append((method, params))
            self._raise_fault(method, params)
            result = await handler(params)
        except ApiError as error:
            return error.response()
        await self._notify()
        return ok_response(result)

    def _raise_fault(self, method: str, params: JSON) -> None:
        for fault in self._faults:
            if fault.method == method and fault.chat_id in (None, str(params.get("chat_id"))):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                raise ApiError(fault.error_code, fault.description)

    def _check_quota(self) -> None:
        if not self.quota_per_second:
            return
        now = self._clock()
        while self._sent_at and self._sent_at[0] <= now - 1.0:
            self._sent_at.popleft()
        if len(self._sent_at) >= math.floor(self.quota_per_second):
            self.throttled_count += 1
            raise ApiError(429, "Quota exceeded")
        self._sent_at.append(now)

    def _recipient(self, params: JSON) -> JSON:
        chat_id = str(params.get("chat_id") or "")
        if not chat_id:
            raise ApiError(400, "Bad request: chat_id is required")
        chat = self._chats.get(chat_id)
        if chat is None:
            raise ApiError(400, "Bad request: chat not found")
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: the user has blocked the bot")
        if chat["chat_type"] == "GROUP" and chat_id not in self._bot_groups:
            # ASSUMED wording: Zalo documents no error for a group the bot has left.
            raise ApiError(403, "Forbidden: the bot is not a member of this group")
        return chat

    # ------------------------------------------------------------------ methods

    async def _get_me(self, _params: JSON) -> JSON:
        return {key: self.bot_user[key] for key in ("id", "account_name", "account_type", "can_join_groups")}

    async def _send_message(self, params: JSON) -> JSON:
        chat = self._recipient(params)
        text = text_param(params, "text", required=True)
        self._check_quota()
        stored = await self._store(chat, self.bot_user, {"text": text})
        return {"message_id": stored["message_id"], "date": stored["date"]}

    async def _send_photo(self, params: JSON) -> JSON:
        chat = self._recipient(params)
        photo = str(params.get("photo") or "")
        if not photo.startswith(("http://", "https://")):
            raise ApiError(400, "Bad request: photo must be the URL of an image")
        caption = text_param(params, "caption", required=False)
        self._check_quota()
        stored = await self._store(chat, self.bot_user, {"photo_url": photo, "caption": caption})
        return {"message_id": stored["message_id"], "date": stored["date"]}

    async def _send_sticker(self, params: JSON) -> JSON:
        chat = self._recipient(params)
        sticker = str(params.get("sticker") or "")
        if not sticker:
            raise ApiError(400, "Bad request: sticker is required")
        self._check_quota()
        stored = await self._store(chat, self.bot_user, {"sticker": sticker})
        return {"message_id": stored["message_id"], "date": stored["date"]}

    async def _send_chat_action(self, params: JSON) -> None:
        self._recipient(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad request: action must be typing or upload_photo")
        return None
