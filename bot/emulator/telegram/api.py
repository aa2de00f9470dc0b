"""The Bot API methods the bot calls: dispatch, the server's checks, and what each method does.

Every call is recorded in ``calls``; then optional latency, scripted faults (``fail_next``) and, when
``enforce_limits`` is on, Telegram's flood limits apply. Messages the bot sends or edits go into the
fake world's transcript. The update methods (getUpdates, setWebhook...) live in ``updates``.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.emulator.common import common_methods
from bot.emulator.telegram.limits import ConnectionDropped, Fault, Faults, RateLimits
from bot.emulator.telegram.updates import Updates
from bot.emulator.telegram.wire import (
    JSON,
    ApiError,
    Upload,
    bad_request,
    html_links,
    inline_markup,
    int_param,
    ok_response,
    read_params,
    rendered_text,
)
from bot.emulator.telegram.world import Stored, is_from, now

_CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)
DELETE_WITHIN_SECONDS = 48 * 3600  # a message older than this cannot be deleted (Bot API deleteMessage)
# Calls that fetch or set up updates rather than answer one.
_PLUMBING = frozenset({"getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo", "getMe"})
_BOT_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same as a "
    "current content and reply markup of the message"
)
# getChat's ChatFullInfo requires accepted_gift_types in PTB 22.8.
_NO_GIFTS = {
    "unlimited_gifts": False,
    "limited_gifts": False,
    "unique_gifts": False,
    "premium_subscription": False,
    "gifts_from_channels": False,
}


class BotApi(Updates):
    """The Bot API server's side: ``/bot<token>/<method>`` and ``/file/bot<token>/<path>``."""

    def __init__(
        self,
        bot_user: JSON,
        *,
        token: str,
        enforce_limits: bool,
        overall_per_second: int,
        per_chat_per_second: int,
        per_group_per_minute: int,
        clock: Callable[[], float],
    ) -> None:
        super().__init__(bot_user)
        self.token = token
        self.webhook_replies: list[tuple[str, JSON]] = []  # methods run from webhook responses
        self.throttled_count = 0  # 429s produced by enforce_limits (not by fail_next)
        self.latency = 0.0
        self.enforce_limits = enforce_limits
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._faults = Faults()
        self._limits = RateLimits(overall_per_second, per_chat_per_second, per_group_per_minute, clock)
        self._api: dict[str, tuple[str, Callable[[JSON], Awaitable[Any]]]] = {
            name.lower(): (name, handler)
            for name, handler in {
                **common_methods(self),
                "sendDocument": self._send_document,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "copyMessage": self._copy_message,
                "getChat": self._get_chat,
                "getFile": self._get_file,
                "close": self._true,
                "logOut": self._true,
            }.items()
        }

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        *,
        parameters: JSON | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (optionally only for one chat) fail like this."""
        self._faults.add(Fault(method.lower(), status, description, parameters, times, chat_id))

    def drop_next(self, method: str, *, times: int = 1, chat_id: int | None = None) -> None:
        """Make the next ``times`` calls of ``method`` (optionally only for one chat) lose their
        connection before any answer, and before anything is stored: the client sees a network
        error at once, as when a request dies on its way to Telegram or times out there, without
        a test having to wait out a real timeout."""
        self._faults.add(Fault(method.lower(), 0, "", None, times, chat_id, drop=True))

    def commands_for(self, scope: JSON | None = None, *, language_code: str = "") -> list[JSON]:
        """The last setMyCommands for a scope such as {"type": "chat", "chat_id": 42}; None = default."""
        return copy.deepcopy(self._commands.get(_scope_key(scope, language_code), []))

    def menu_shown(self, chat_id: int) -> list[JSON]:
        """The commands a Telegram client shows under "Menu" in this chat: the narrowest scope set.

        Telegram resolves the chat's own scope first, then all private (or group) chats, then the
        default; the demo page lists the same, so its menu is what the person would see.
        """
        broad = "all_private_chats" if chat_id > 0 else "all_group_chats"
        for scope in ({"type": "chat", "chat_id": chat_id}, {"type": broad}, None):
            commands = self.commands_for(scope)
            if commands:
                return commands
        return []

    # ------------------------------------------------------------------ plumbing

    async def _handle_bot_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return ApiError(401, "Unauthorized: invalid token specified").response()
        entry = self._api.get(request.match_info["method"].lower())
        if entry is None:
            return ApiError(404, "Not Found: method not found").response()
        name, handler = entry
        try:
            params = await read_params(request)
            self.calls.append((name, params))
            if self.latency:
                await asyncio.sleep(self.latency)
            self._faults.raise_matching(name, params)
            result = await handler(params)
        except ApiError as error:
            await self._notify()  # a refused call is news too: tests wait on `throttled_count`
            return error.response()
        except ConnectionDropped:
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=502)  # never reaches the client: the connection is gone
        await self._notify()
        return ok_response(result)

    async def _webhook_reply(self, body: bytes) -> None:
        """Run the method a webhook response carries, as Telegram does: recorded in
        ``webhook_replies``, not in ``calls`` (it is no API request), and any error is dropped
        unseen, as Telegram gives a webhook response no answer."""
        try:
            params = json.loads(body) if body else None
        except ValueError:
            return
        if not isinstance(params, dict) or not isinstance(params.get("method"), str):
            return
        entry = self._api.get(params["method"].lower())
        if entry is None:
            return
        name, handler = entry
        self.webhook_replies.append((name, params))
        try:
            await handler(params)
        except ApiError:
            return
        await self._notify()

    def api_calls(self) -> list[str]:
        """The names of the Bot API requests the bot made, without the update plumbing
        (getUpdates, webhook set-up, getMe): what a handled update costs."""
        return [name for name, _ in self.calls if name not in _PLUMBING]

    async def _handle_file_download(self, request: web.Request) -> web.Response:
        """What PTB's File.download_* fetches: <base_file_url><token>/<file_path>."""
        if request.match_info["token"] != self.token:
            return ApiError(401, "Unauthorized: invalid token specified").response()
        stored = self._files.get(request.match_info["file_path"].rsplit("/", 1)[-1])
        if stored is None:
            return ApiError(404, "Not Found: file not found").response()
        return web.Response(body=stored.data, content_type="application/octet-stream")

    def _find_chat(self, chat_ref: Any) -> JSON:
        """Resolve chat_id (number or @username) the way the server does, including migrated groups."""
        if chat_ref is None or chat_ref == "":
            raise bad_request("chat_id is empty")
        if isinstance(chat_ref, str) and chat_ref.startswith("@"):
            name = chat_ref[1:].lower()
            chat = next((c for c in self._chats.values() if c.get("username", "").lower() == name), None)
        else:
            try:
                chat_id = int(chat_ref)
            except (TypeError, ValueError):
                raise bad_request("chat not found") from None
            if chat_id in self._migrated:
                raise ApiError(
                    400,
                    "Bad Request: group chat was upgraded to a supergroup chat",
                    {"migrate_to_chat_id": self._migrated[chat_id]},
                )
            chat = self._chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _writable_chat(self, chat_ref: Any) -> JSON:
        """A chat the bot may post to, else the 403 Telegram gives (blocked, kicked, not a member)."""
        chat = self._find_chat(chat_ref)
        chat_id, kind = chat["id"], chat["type"]
        if kind == "private":
            if chat_id in self._deactivated:
                raise ApiError(403, "Forbidden: user is deactivated")
            if chat_id in self._blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
        elif self._bot_status.get(chat_id) == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
        elif self._bot_status.get(chat_id) not in ("member", "administrator"):
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")
        return chat

    def _check_rate_limits(self, chat: JSON) -> None:
        """With enforce_limits, a message over Telegram's flood limits gets 429 and its retry_after."""
        if not self.enforce_limits:
            return
        retry_after = self._limits.retry_after(chat)
        if retry_after:
            self.throttled_count += 1
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})

    def _stored_message(self, chat: JSON, params: JSON, missing: str) -> Stored:
        stored = self._log.get(chat["id"], {}).get(int_param(params, "message_id"))
        if stored is None:
            raise bad_request(missing)
        return stored

    # ------------------------------------------------------------------ methods

    async def _true(self, _params: JSON) -> bool:
        return True

    async def _get_me(self, _params: JSON) -> JSON:
        return self.bot_user

    async def _send_message(self, params: JSON) -> JSON:
        chat = self._writable_chat(params.get("chat_id"))
        text = rendered_text(params, "text", required=True)
        markup = inline_markup(params)
        self._check_rate_limits(chat)
        return await self._store(
            chat, self.bot_user,
            {"text": text, "entities": params.get("entities") or html_links(params, "text"), "reply_markup": markup},
        )

    async def _send_photo(self, params: JSON) -> JSON:
        return await self._send_file(params, "photo")

    async def _send_document(self, params: JSON) -> JSON:
        return await self._send_file(params, "document")

    async def _send_file(self, params: JSON, kind: str) -> JSON:
        """sendPhoto/sendDocument: an upload, a known file_id or an http(s) URL (not downloaded)."""
        chat = self._writable_chat(params.get("chat_id"))
        value = params.get(kind)
        if isinstance(value, Upload):
            file_id = self._save_file(value.data, kind, value.file_name, value.content_type)
        elif isinstance(value, str) and value in self._files:
            file_id = value
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            file_id = self._save_file(b"", kind, value.rsplit("/", 1)[-1] or None, None)
        elif value is None:
            raise bad_request(f"there is no {kind} in the request")
        else:
            raise bad_request("wrong file identifier/HTTP URL specified")
        caption = rendered_text(params, "caption", required=False)
        markup = inline_markup(params)
        self._check_rate_limits(chat)
        media = self._photo_sizes(file_id) if kind == "photo" else self._document(file_id)
        return await self._store(
            chat, self.bot_user,
            {kind: media, "caption": caption, "caption_entities": html_links(params, "caption"), "reply_markup": markup},
        )

    async def _edit_message_text(self, params: JSON) -> JSON:
        stored = self._editable(params)
        if "text" not in stored.message:
            raise bad_request("there is no text in the message to edit")
        text = rendered_text(params, "text", required=True)
        return await self._edit(
            stored, text=text, entities=params.get("entities") or html_links(params, "text"),
            reply_markup=inline_markup(params),
        )

    async def _edit_message_reply_markup(self, params: JSON) -> JSON:
        return await self._edit(self._editable(params), reply_markup=inline_markup(params))

    def _editable(self, params: JSON) -> Stored:
        if params.get("inline_message_id"):
            raise bad_request("inline messages are not supported by the emulator")
        stored = self._stored_message(
            self._find_chat(params.get("chat_id")), params, "message to edit not found"
        )
        if not is_from(stored.message, self.bot_user["id"]):
            raise bad_request("message can't be edited")
        return stored

    async def _edit(self, stored: Stored, **changes: Any) -> JSON:
        """Apply changes (None removes a field, e.g. the keyboard when editMessageText omits it)."""
        message = stored.message
        if all(message.get(key) == value for key, value in changes.items()):
            raise bad_request(_NOT_MODIFIED)
        for key, value in changes.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = now()
        self._rev += 1
        stored.rev = self._rev
        return message

    async def _delete_message(self, params: JSON) -> bool:
        """deleteMessage, with Telegram's rules: within 48 hours; in a private chat any message
        (the person's too); in a group the bot's own, or any as an administrator; in a channel
        as an administrator. The message leaves the transcript; `deleted` records it."""
        chat = self._find_chat(params.get("chat_id"))
        stored = self._stored_message(chat, params, "message to delete not found")
        message = stored.message
        own = is_from(message, self.bot_user["id"])
        admin = self._bot_status.get(chat["id"]) == "administrator"
        allowed = chat["type"] == "private" or admin or (own and chat["type"] != "channel")
        if not allowed or message["date"] < now() - DELETE_WITHIN_SECONDS:
            raise bad_request("message can't be deleted")
        del self._log[chat["id"]][message["message_id"]]
        self.deleted.append((chat["id"], message["message_id"]))
        self._rev += 1
        return True

    async def _answer_callback_query(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._open_callbacks:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        self._open_callbacks.discard(query_id)
        answer = {key: params[key] for key in ("text", "show_alert", "url", "cache_time") if key in params}
        self.callback_answers.append({"callback_query_id": query_id, **answer})
        return True

    async def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not _BOT_COMMAND_RE.fullmatch(str(name)):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self._check_scope_chat(params)
        key = _commands_key(params)
        self._commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        return True

    def _check_scope_chat(self, params: JSON) -> None:
        """A menu for one chat needs a chat the bot knows: else 400 "chat not found", as Telegram says."""
        scope = params.get("scope")
        if isinstance(scope, dict) and scope.get("type") in ("chat", "chat_administrators", "chat_member"):
            self._find_chat(scope.get("chat_id"))

    async def _get_my_commands(self, params: JSON) -> list[JSON]:
        return self._commands.get(_commands_key(params), [])

    async def _delete_my_commands(self, params: JSON) -> bool:
        self._check_scope_chat(params)
        self._commands.pop(_commands_key(params), None)
        return True

    async def _send_chat_action(self, params: JSON) -> bool:
        self._writable_chat(params.get("chat_id"))
        if params.get("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    async def _copy_message(self, params: JSON) -> JSON:
        target = self._writable_chat(params.get("chat_id"))
        source = self._find_chat(params.get("from_chat_id"))
        original = self._stored_message(source, params, "message to copy not found").message
        copied = ("text", "entities", "photo", "document", "caption", "caption_entities", "reply_markup")
        content = {key: copy.deepcopy(original[key]) for key in copied if key in original}
        if not content.keys() & {"text", "photo", "document"}:
            raise bad_request("message can't be copied")
        if "caption" in params:
            content["caption"] = rendered_text(params, "caption", required=False)
        if "reply_markup" in params:
            content["reply_markup"] = inline_markup(params)
        self._check_rate_limits(target)
        message = await self._store(target, self.bot_user, content)
        return {"message_id": message["message_id"]}

    async def _get_chat(self, params: JSON) -> JSON:
        chat = self._find_chat(params.get("chat_id"))
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": dict(_NO_GIFTS),
        }

    async def _get_file(self, params: JSON) -> JSON:
        file_id = str(params.get("file_id", ""))
        stored = self._files.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": f"{stored.kind}s/{file_id}",
        }


def _commands_key(params: JSON) -> tuple[str, str]:
    return _scope_key(params.get("scope"), params.get("language_code") or "")


def _scope_key(scope: Any, language_code: str) -> tuple[str, str]:
    if not isinstance(scope, dict) or scope.get("type") == "default":
        scope = {"type": "default"}
    return json.dumps(scope, sort_keys=True), language_code
