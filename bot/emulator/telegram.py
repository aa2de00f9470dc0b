"""A local emulator of the Telegram Bot API, for integration tests and the offline demo.

Why it exists: tests and the demo must run the real python-telegram-bot (PTB) stack (HTTP requests,
JSON parsing, error mapping) without reaching api.telegram.org. The emulator therefore speaks the wire
format PTB 22.8 really uses (see shared/api/telegram-zalo-facts.md, sections 1-2):

* ``/bot<token>/<method>``, GET or POST, method names case-insensitive; parameters from the query string,
  form-urlencoded, multipart (uploads) or JSON bodies. PTB json-encodes every non-string value, so
  parameters are decoded back (ints, booleans, objects) except those that are text by nature.
* ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description", "parameters"}`` with the
  HTTP status equal to ``error_code``: PTB picks its exception class from the status and parameters.
* Error descriptions are the exact strings of Telegram's Bot API server, because bots match on them.

Besides the Bot API the emulator is a small fake world: users, groups and channels that "act"
(``send_text``, ``press_button``, ``block_bot``...), producing real Update objects that are delivered
either to a webhook (awaited, so the bot has answered when the call returns) or to ``getUpdates``.
Everything the bot does is recorded as a transcript that tests read back (``messages``,
``wait_for_messages``) and that a browser demo page reads through a JSON control API under ``/_emu/``.

All state lives on a ``TelegramEmulator`` instance; there are no module-level singletons. The
emulator is meant for localhost only: the control API has no authentication.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import html
import json
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import quote

from aiohttp import ClientError, ClientSession, ClientTimeout, web

__all__ = ["ApiError", "EmulatorError", "TelegramEmulator", "Upload"]

JSON = dict[str, Any]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
LONG_POLL_MAX_SECONDS = 50  # the reference server clamps getUpdates' timeout to 0..50
CONTROL_WAIT_MAX_SECONDS = 25
MAX_REQUEST_BYTES = 60 * 1024 * 1024  # documents may be up to 50 MB

# PTB sends str values raw and json.dumps everything else; these parameters are text by nature and must
# never be JSON-decoded (a message text "42" stays a string).
_TEXT_PARAMS = frozenset(
    [
        "text",
        "caption",
        "parse_mode",
        "url",
        "secret_token",
        "callback_query_id",
        "action",
        "language_code",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "ip_address",
        "photo",
        "document",
        "thumbnail",
        "description",
        "short_description",
        "name",
        "title",
    ]
)
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
# Update types Telegram leaves out unless allowed_updates names them explicitly.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_HTML_TAGS = frozenset(
    [
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "blockquote",
    ]
)
_HTML_TAG_RE = re.compile(r"<(/?)([A-Za-z][\w-]*)[^>]*>|<")
_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND_TOKEN_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?")
_BOT_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same as a "
    "current content and reply markup of the message"
)
# What ChatMemberAdministrator requires in PTB 22.8, plus the channel rights a posting bot needs.
_BOT_ADMIN_RIGHTS = {
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_messages": True,
    "can_edit_messages": True,
    "can_pin_messages": True,
    "can_be_edited": False,
    "is_anonymous": False,
    "can_promote_members": False,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
}
# getChat's ChatFullInfo requires accepted_gift_types in PTB 22.8.
_NO_GIFTS = {
    "unlimited_gifts": False,
    "limited_gifts": False,
    "unique_gifts": False,
    "premium_subscription": False,
    "gifts_from_channels": False,
}
_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
)
# A valid 1x1 PNG, so a photo "sent by a person" renders in the demo page without a real image.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


class ApiError(Exception):
    """A Bot API error reply. The HTTP status must equal error_code: PTB maps exceptions from it."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters or {}

    def response(self) -> web.Response:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        headers = {}
        if self.parameters:
            body["parameters"] = self.parameters
        if "retry_after" in self.parameters:
            headers["Retry-After"] = str(self.parameters["retry_after"])
        return web.json_response(body, status=self.status, headers=headers)


class EmulatorError(Exception):
    """A scripted action is impossible in the fake world (unknown user, no such button, ...)."""


def _bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request, as PTB sends bytes / InputFile arguments."""

    file_name: str | None
    content_type: str | None
    data: bytes = field(repr=False)


@dataclass
class _File:
    data: bytes
    kind: str  # "photo" or "document"
    file_unique_id: str
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class _Stored:
    """A message of the fake world; ``rev`` grows on every change so pollers also notice edits."""

    message: JSON
    rev: int


@dataclass
class _Queued:
    """An update waiting for getUpdates; ``sent`` = handed out once, so a higher offset confirms it."""

    update: JSON
    sent: bool = False


@dataclass
class _Fault:
    method: str  # lower-cased
    status: int
    description: str
    parameters: JSON | None
    times: int
    chat_id: int | str | None


class _SlidingWindow:
    """At most ``limit`` events per ``period`` seconds; tells how long to wait for the next one."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self._hits: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        while self._hits and self._hits[0] <= now - self.period:
            self._hits.popleft()
        return 0.0 if len(self._hits) < self.limit else self._hits[0] + self.period - now

    def hit(self, now: float) -> None:
        self._hits.append(now)


class TelegramEmulator:
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
        self.token = token
        self.bot_user: JSON = {
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
        # Public records, read by tests.
        self.calls: list[tuple[str, JSON]] = []
        self.callback_answers: list[JSON] = []
        self.webhook_responses: list[int | None] = []  # None = the webhook could not be reached
        self.throttled_count = 0  # 429s produced by enforce_limits (not by fail_next)
        self.latency = 0.0
        self.enforce_limits = enforce_limits
        # The fake world.
        self._users: dict[int, JSON] = {}
        self._chats: dict[int, JSON] = {}
        self._bot_status: dict[int, str] = {}  # groups/channels: left | member | administrator | kicked
        self._blocked: set[int] = set()
        self._deactivated: set[int] = set()
        self._migrated: dict[int, int] = {}
        self._log: dict[int, dict[int, _Stored]] = {}  # chat id -> message id -> message
        self._last_message_id: dict[int, int] = {}
        self._rev = 0
        self._files: dict[str, _File] = {}
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._open_callbacks: set[str] = set()
        self._callback_seq = 0
        self._faults: list[_Fault] = []
        # Update delivery.
        self._queue: list[_Queued] = []
        self._update_id = 0
        self._last_update: JSON | None = None
        self._allowed_updates: list[str] = []
        self._webhook: JSON | None = None
        self._webhook_error: tuple[int, str] | None = None
        self._delivery_lock = asyncio.Lock()
        self._poll_generation = 0
        # Limits.
        self._clock = clock
        self._overall = _SlidingWindow(overall_per_second, 1.0)
        self._per_private_chat = per_chat_per_second
        self._per_group = per_group_per_minute  # groups, supergroups and channels alike
        self._chat_windows: dict[int, _SlidingWindow] = {}
        # Plumbing: one condition wakes every waiter (long polls, wait_for_messages) on any change.
        self._changed = asyncio.Condition()
        self._closing = False
        self._session: ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._root: str | None = None
        self._api: dict[str, tuple[str, Callable[[JSON], Awaitable[Any]]]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "sendMessage": self._send_message,
                "sendPhoto": self._send_photo,
                "sendDocument": self._send_document,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "answerCallbackQuery": self._answer_callback_query,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "sendChatAction": self._send_chat_action,
                "copyMessage": self._copy_message,
                "getChat": self._get_chat,
                "getFile": self._get_file,
                "close": self._true,
                "logOut": self._true,
            }.items()
        }

    # ------------------------------------------------------------------ serving

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

    # ------------------------------------------------------------------ the fake world

    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
    ) -> JSON:
        """A person, with the private chat to the bot (chat id == user id). Returns the User object."""
        names = {"first_name": first_name, "last_name": last_name, "username": username}
        user = _without_none({"id": user_id, "is_bot": False, **names, "language_code": language_code})
        self._users[user_id] = user
        self._chats[user_id] = _without_none({"id": user_id, "type": "private", **names})
        return user

    def add_group(self, chat_id: int, title: str, *, supergroup: bool = False) -> JSON:
        """A group the bot is not in yet: call add_bot_to_chat() before the bot can post there."""
        return self._add_chat(chat_id, "supergroup" if supergroup else "group", title)

    def add_channel(self, chat_id: int, title: str) -> JSON:
        """A channel the bot is not in yet; add_bot_to_chat() makes it an administrator."""
        return self._add_chat(chat_id, "channel", title)

    def deactivate_user(self, user_id: int) -> None:
        """The person deleted their account: later sends fail with 403 "user is deactivated"."""
        self._user(user_id)
        self._deactivated.add(user_id)

    def _add_chat(self, chat_id: int, kind: str, title: str) -> JSON:
        if chat_id >= 0:
            raise EmulatorError(f"group and channel ids are negative, got {chat_id}")
        chat = {"id": chat_id, "type": kind, "title": title}
        self._chats[chat_id] = chat
        self._bot_status.setdefault(chat_id, "left")
        return chat

    def _user(self, user_id: int) -> JSON:
        if user_id not in self._users:
            raise EmulatorError(f"unknown user {user_id}: call add_user() first")
        return self._users[user_id]

    def _chat(self, chat_id: int) -> JSON:
        if chat_id not in self._chats:
            raise EmulatorError(f"unknown chat {chat_id}: call add_user()/add_group()/add_channel() first")
        return self._chats[chat_id]

    def _speaker(self, user_id: int, chat_id: int | None) -> tuple[JSON, JSON]:
        """The user and the chat they act in; refuses chats the bot would not hear from."""
        user = self._user(user_id)
        chat = self._chat(user_id if chat_id is None else chat_id)
        if chat["id"] in self._migrated:
            raise EmulatorError(f"chat {chat['id']} was migrated to {self._migrated[chat['id']]}")
        if chat["type"] != "private" and self._bot_status.get(chat["id"]) not in ("member", "administrator"):
            raise EmulatorError(f"the bot is not in chat {chat['id']}: call add_bot_to_chat() first")
        return user, chat

    # ------------------------------------------------------------------ acting as people

    async def send_text(self, user_id: int, text: str, *, chat_id: int | None = None) -> JSON:
        """The person writes ``text``; a leading /command gets its bot_command entity, as PTB requires."""
        user, chat = self._speaker(user_id, chat_id)
        content: JSON = {"text": text}
        token = text.split(maxsplit=1)[0] if text.startswith("/") else ""
        if _COMMAND_TOKEN_RE.fullmatch(token):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": _utf16_len(token)}]
        message = await self._store(chat, user, content)
        return await self._push("channel_post" if chat["type"] == "channel" else "message", message)

    async def send_photo(
        self,
        user_id: int,
        data: bytes = TINY_PNG,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> JSON:
        user, chat = self._speaker(user_id, chat_id)
        file_id = self._save_file(data, "photo", "photo.png", None)
        message = await self._store(chat, user, {"photo": self._photo_sizes(file_id), "caption": caption})
        return await self._push("message", message)

    async def press_button(
        self, user_id: int, message_id: int, data: str, *, chat_id: int | None = None
    ) -> JSON:
        """The person taps an inline button of a bot message; only buttons really shown can be tapped."""
        user, chat = self._speaker(user_id, chat_id)
        stored = self._log.get(chat["id"], {}).get(message_id)
        if stored is None or not _is_from(stored.message, self.bot_user["id"]):
            raise EmulatorError(f"no bot message {message_id} in chat {chat['id']}")
        offered = [b["data"] for row in _buttons(stored.message) for b in row]
        if data not in offered:
            raise EmulatorError(f"message {message_id} has no button with data {data!r}; it offers {offered}")
        self._callback_seq += 1
        query_id = f"{self.bot_user['id']}{self._callback_seq:06d}"
        self._open_callbacks.add(query_id)
        query = {
            "id": query_id,
            "from": user,
            "chat_instance": f"ci{chat['id']}",
            "data": data,
            "message": stored.message,
        }
        return await self._push("callback_query", query)

    async def block_bot(self, user_id: int) -> JSON:
        """Later sends to the person fail with 403 "bot was blocked by the user"."""
        user, chat = self._user(user_id), self._chat(user_id)
        old = "kicked" if user_id in self._blocked else "member"
        self._blocked.add(user_id)
        return await self._push("my_chat_member", self._member_update(chat, user, old, "kicked"))

    async def unblock_bot(self, user_id: int) -> JSON:
        user, chat = self._user(user_id), self._chat(user_id)
        old = "kicked" if user_id in self._blocked else "member"
        self._blocked.discard(user_id)
        return await self._push("my_chat_member", self._member_update(chat, user, old, "member"))

    async def add_bot_to_chat(self, by_user_id: int, chat_id: int, *, as_admin: bool = False) -> JSON:
        """In channels bots can only be administrators, so there the bot always becomes one."""
        user, chat = self._user(by_user_id), self._chat(chat_id)
        if chat["type"] == "private":
            raise EmulatorError("the bot cannot be added to a private chat")
        new = "administrator" if as_admin or chat["type"] == "channel" else "member"
        old = self._bot_status.get(chat_id, "left")
        self._bot_status[chat_id] = new
        return await self._push("my_chat_member", self._member_update(chat, user, old, new))

    async def remove_bot_from_chat(self, by_user_id: int, chat_id: int) -> JSON:
        """Later sends fail with 403 "bot was kicked from the group chat" (or supergroup/channel)."""
        user, chat = self._user(by_user_id), self._chat(chat_id)
        old = self._bot_status.get(chat_id, "left")
        self._bot_status[chat_id] = "kicked"
        return await self._push("my_chat_member", self._member_update(chat, user, old, "kicked"))

    async def migrate_group(self, chat_id: int, new_chat_id: int) -> JSON:
        """Upgrade a group to a supergroup, delivering both service messages Telegram sends.

        Later sends to the old id fail with 400 and ``parameters.migrate_to_chat_id``. Returns the update
        carrying ``migrate_to_chat_id``.
        """
        old_chat = self._chat(chat_id)
        if old_chat["type"] != "group":
            raise EmulatorError(f"only basic groups migrate; chat {chat_id} is a {old_chat['type']}")
        new_chat = self._add_chat(new_chat_id, "supergroup", old_chat["title"])
        self._bot_status[new_chat_id] = self._bot_status.get(chat_id, "left")
        self._migrated[chat_id] = new_chat_id
        to_message = await self._store(old_chat, None, {"migrate_to_chat_id": new_chat_id})
        first = await self._push("message", to_message)
        from_message = await self._store(
            new_chat, None, {"sender_chat": new_chat, "migrate_from_chat_id": chat_id}
        )
        await self._push("message", from_message)
        return first

    async def push_update(self, update: JSON) -> None:
        """Deliver a hand-made update; an update_id is assigned if missing."""
        update = copy.deepcopy(update)
        if "update_id" not in update:
            update["update_id"] = self._next_update_id()
        self._update_id = max(self._update_id, update["update_id"])
        await self._deliver(update)

    async def replay_last_update(self) -> None:
        """Deliver the last update again with the same update_id, as Telegram does after a failed ack."""
        if self._last_update is None:
            raise EmulatorError("no update was delivered yet")
        await self._deliver(copy.deepcopy(self._last_update))

    def _member_update(self, chat: JSON, actor: JSON, old: str, new: str) -> JSON:
        return {
            "chat": chat,
            "from": actor,
            "date": _now(),
            "old_chat_member": self._bot_member(old),
            "new_chat_member": self._bot_member(new),
        }

    def _bot_member(self, status: str) -> JSON:
        member: JSON = {"status": status, "user": self.bot_user}
        if status == "kicked":
            member["until_date"] = 0
        if status == "administrator":
            member.update(_BOT_ADMIN_RIGHTS)
        return member

    # ------------------------------------------------------------------ update delivery

    def _next_update_id(self) -> int:
        self._update_id += 1
        return self._update_id

    async def _push(self, kind: str, payload: JSON) -> JSON:
        # A snapshot: later edits of the stored message must not change an update already sent.
        update = {"update_id": self._next_update_id(), kind: copy.deepcopy(payload)}
        await self._deliver(update)
        return update

    async def _deliver(self, update: JSON) -> None:
        """Webhook set: POST it (and anything still pending) and await the bot. Else: queue for getUpdates."""
        self._last_update = update
        kind = next(key for key in update if key != "update_id")
        allowed = kind in self._allowed_updates if self._allowed_updates else kind not in _OPT_IN_UPDATES
        if not allowed:
            return
        async with self._delivery_lock:  # keeps webhook deliveries in order
            self._queue.append(_Queued(update))
            while self._webhook is not None and self._queue:
                if not await self._post_to_webhook(self._queue[0].update):
                    break  # stays pending; Telegram retries, here the next delivery does
                self._queue.pop(0)
        await self._notify()

    async def _post_to_webhook(self, update: JSON) -> bool:
        assert self._webhook is not None
        headers = {"Content-Type": "application/json"}  # exactly: PTB's webhook server rejects a charset
        if self._webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self._webhook["secret_token"]
        if self._session is None:
            self._session = ClientSession(timeout=ClientTimeout(total=60))
        try:
            async with self._session.post(
                self._webhook["url"], data=json.dumps(update), headers=headers
            ) as resp:
                await resp.read()
                status: int | None = resp.status
        except (ClientError, TimeoutError) as error:
            status = None
            self._webhook_error = (_now(), f"Connection failed: {error!r}")
        self.webhook_responses.append(status)
        if status is not None and not 200 <= status < 300:
            self._webhook_error = (_now(), f"Wrong response from the webhook: {status}")
        return status is not None and 200 <= status < 300

    # ------------------------------------------------------------------ reading what the bot did

    def messages(self, chat_id: int, *, from_bot: bool | None = True) -> list[JSON]:
        """Transcript of a chat: the bot's messages (True), the people's (False) or all (None)."""
        bot_id = self.bot_user["id"]
        return [
            self._entry(s)
            for s in self._log.get(chat_id, {}).values()
            if from_bot is None or _is_from(s.message, bot_id) == from_bot
        ]

    def last_message(self, chat_id: int) -> JSON:
        """The bot's latest message in the chat."""
        sent = self.messages(chat_id)
        if not sent:
            raise EmulatorError(f"the bot has sent nothing to chat {chat_id}")
        return sent[-1]

    async def wait_for_messages(self, chat_id: int, count: int, *, timeout: float = 5.0) -> list[JSON]:  # noqa: ASYNC109
        """Wait until the bot has sent at least ``count`` messages to the chat; returns all of them."""
        if await self.wait_for(lambda: len(self.messages(chat_id)) >= count, timeout=timeout):
            return self.messages(chat_id)
        transcript = [
            (e["message_id"], "bot" if e["from_bot"] else "user", e["text"] or e["caption"])
            for e in self.messages(chat_id, from_bot=None)
        ]
        recent = [name for name, _ in self.calls[-8:]]
        raise TimeoutError(
            f"waited {timeout}s for {count} bot message(s) in chat {chat_id}, got "
            f"{len(self.messages(chat_id))}. Transcript: {transcript}. Last API calls: {recent}"
        )

    async def wait_for(self, predicate: Callable[[], Any], *, timeout: float = 5.0) -> bool:  # noqa: ASYNC109
        """Wait until ``predicate()`` is true (re-checked after every change); returns its final truth."""
        async with self._changed:
            try:
                async with asyncio.timeout(timeout):
                    await self._changed.wait_for(lambda: predicate() or self._closing)
            except TimeoutError:
                pass
            return bool(predicate())

    def file_bytes(self, file_id: str) -> bytes:
        """Content of an uploaded file (empty for files "sent" by URL: those are not downloaded)."""
        if file_id not in self._files:
            raise EmulatorError(f"unknown file_id {file_id!r}")
        return self._files[file_id].data

    def commands_for(self, scope: JSON | None = None, *, language_code: str = "") -> list[JSON]:
        """The last setMyCommands for a scope such as {"type": "chat", "chat_id": 42}; None = default."""
        return copy.deepcopy(self._commands.get(_scope_key(scope, language_code), []))

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
        self._faults.append(_Fault(method.lower(), status, description, parameters, times, chat_id))

    def _entry(self, stored: _Stored) -> JSON:
        message = stored.message
        photo, document = message.get("photo"), message.get("document")
        if document:
            document = {"file_id": document["file_id"], "file_name": document.get("file_name")}
        return {
            "message_id": message["message_id"],
            "chat_id": message["chat"]["id"],
            "from_bot": _is_from(message, self.bot_user["id"]),
            "from_id": message.get("from", {}).get("id"),
            "text": message.get("text"),
            "caption": message.get("caption"),
            "buttons": _buttons(message),
            "photo": photo[-1]["file_id"] if photo else None,
            "document": document or None,
            "date": message["date"],
            "edited": "edit_date" in message,
            "rev": stored.rev,
        }

    async def _store(self, chat: JSON, sender: JSON | None, content: JSON) -> JSON:
        chat_id = chat["id"]
        message_id = self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        message: JSON = {"message_id": message_id, "date": _now(), "chat": chat}
        if sender is not None:
            message["from"] = sender
        if chat["type"] == "channel":
            message["sender_chat"] = chat
        message.update(_without_none(content))
        self._rev += 1
        self._log.setdefault(chat_id, {})[message_id] = _Stored(message, self._rev)
        await self._notify()
        return message

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------------ Bot API: plumbing

    async def _handle_bot_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return ApiError(401, "Unauthorized: invalid token specified").response()
        entry = self._api.get(request.match_info["method"].lower())
        if entry is None:
            return ApiError(404, "Not Found: method not found").response()
        name, handler = entry
        try:
            params = await _read_params(request)
            self.calls.append((name, params))
            if self.latency:
                await asyncio.sleep(self.latency)
            self._raise_fault(name, params)
            result = await handler(params)
        except ApiError as error:
            return error.response()
        await self._notify()
        return web.json_response({"ok": True, "result": result})

    def _raise_fault(self, method: str, params: JSON) -> None:
        for fault in self._faults:
            if fault.method == method.lower() and (
                fault.chat_id is None or str(fault.chat_id) == str(params.get("chat_id"))
            ):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                raise ApiError(fault.status, fault.description, fault.parameters)

    def _find_chat(self, chat_ref: Any) -> JSON:
        """Resolve chat_id (number or @username) the way the server does, including migrated groups."""
        if chat_ref is None or chat_ref == "":
            raise _bad_request("chat_id is empty")
        if isinstance(chat_ref, str) and chat_ref.startswith("@"):
            name = chat_ref[1:].lower()
            chat = next((c for c in self._chats.values() if c.get("username", "").lower() == name), None)
        else:
            try:
                chat_id = int(chat_ref)
            except (TypeError, ValueError):
                raise _bad_request("chat not found") from None
            if chat_id in self._migrated:
                raise ApiError(
                    400,
                    "Bad Request: group chat was upgraded to a supergroup chat",
                    {"migrate_to_chat_id": self._migrated[chat_id]},
                )
            chat = self._chats.get(chat_id)
        if chat is None:
            raise _bad_request("chat not found")
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
        """Sliding windows on the injected clock: overall N/s, per private chat, per group/channel."""
        if not self.enforce_limits:
            return
        now = self._clock()
        chat_window = self._chat_windows.get(chat["id"])
        if chat_window is None:
            private = chat["type"] == "private"
            chat_window = _SlidingWindow(
                *((self._per_private_chat, 1.0) if private else (self._per_group, 60.0))
            )
            self._chat_windows[chat["id"]] = chat_window
        wait = max(self._overall.wait_time(now), chat_window.wait_time(now))
        if wait > 0:
            self.throttled_count += 1
            retry_after = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
        self._overall.hit(now)
        chat_window.hit(now)

    def _stored_message(self, chat: JSON, params: JSON, missing: str) -> _Stored:
        stored = self._log.get(chat["id"], {}).get(_int_param(params, "message_id"))
        if stored is None:
            raise _bad_request(missing)
        return stored

    # ------------------------------------------------------------------ Bot API: methods

    async def _true(self, _params: JSON) -> bool:
        return True

    async def _get_me(self, _params: JSON) -> JSON:
        return self.bot_user

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._set_allowed_updates(params)
        offset = _int_param(params, "offset", 0)
        limit = min(max(_int_param(params, "limit", 100), 1), 100)
        timeout = min(max(_int_param(params, "timeout", 0), 0), LONG_POLL_MAX_SECONDS)
        if offset > 0:  # confirms everything handed out below the offset
            self._queue = [q for q in self._queue if q.update["update_id"] >= offset or not q.sent]
        elif offset < 0:  # "the last -offset updates; all previous updates will be forgotten"
            self._queue = self._queue[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        await self._notify()  # an older long poll still waiting is now terminated (409 below)
        await self.wait_for(
            lambda: self._queue or self._webhook or generation != self._poll_generation, timeout=timeout
        )
        if generation != self._poll_generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        batch = self._queue[:limit]
        for queued in batch:
            queued.sent = True
        return [q.update for q in batch]

    async def _set_webhook(self, params: JSON) -> bool:
        url = params.get("url") or ""
        if not url:
            return await self._delete_webhook(params)
        if not str(url).startswith(("http://", "https://")):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.fullmatch(str(secret)):
            raise _bad_request("secret token contains unallowed characters")
        self._set_allowed_updates(params)
        if params.get("drop_pending_updates"):
            self._queue.clear()
        self._webhook = _without_none(
            {"url": url, "secret_token": secret, "max_connections": _int_param(params, "max_connections", 40)}
        )
        self._webhook_error = None
        return True

    async def _delete_webhook(self, params: JSON) -> bool:
        self._webhook = None
        if params.get("drop_pending_updates"):
            self._queue.clear()
        return True

    async def _get_webhook_info(self, _params: JSON) -> JSON:
        info: JSON = {"url": "", "has_custom_certificate": False, "pending_update_count": len(self._queue)}
        if self._webhook is not None:
            info.update(url=self._webhook["url"], max_connections=self._webhook["max_connections"])
            if self._allowed_updates:
                info["allowed_updates"] = self._allowed_updates
            if self._webhook_error is not None:
                info.update(last_error_date=self._webhook_error[0], last_error_message=self._webhook_error[1])
        return info

    def _set_allowed_updates(self, params: JSON) -> None:
        """Absent = keep the previous setting; [] = the default set; a list = exactly those types."""
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed]

    async def _send_message(self, params: JSON) -> JSON:
        chat = self._writable_chat(params.get("chat_id"))
        text = _rendered_text(params, "text", required=True)
        markup = _inline_markup(params)
        self._check_rate_limits(chat)
        return await self._store(
            chat, self.bot_user, {"text": text, "entities": params.get("entities"), "reply_markup": markup}
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
            raise _bad_request(f"there is no {kind} in the request")
        else:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        caption = _rendered_text(params, "caption", required=False)
        markup = _inline_markup(params)
        self._check_rate_limits(chat)
        media = self._photo_sizes(file_id) if kind == "photo" else self._document(file_id)
        return await self._store(
            chat, self.bot_user, {kind: media, "caption": caption, "reply_markup": markup}
        )

    async def _edit_message_text(self, params: JSON) -> JSON:
        stored = self._editable(params)
        if "text" not in stored.message:
            raise _bad_request("there is no text in the message to edit")
        text = _rendered_text(params, "text", required=True)
        return await self._edit(
            stored, text=text, entities=params.get("entities"), reply_markup=_inline_markup(params)
        )

    async def _edit_message_reply_markup(self, params: JSON) -> JSON:
        return await self._edit(self._editable(params), reply_markup=_inline_markup(params))

    def _editable(self, params: JSON) -> _Stored:
        if params.get("inline_message_id"):
            raise _bad_request("inline messages are not supported by the emulator")
        stored = self._stored_message(
            self._find_chat(params.get("chat_id")), params, "message to edit not found"
        )
        if not _is_from(stored.message, self.bot_user["id"]):
            raise _bad_request("message can't be edited")
        return stored

    async def _edit(self, stored: _Stored, **changes: Any) -> JSON:
        """Apply changes (None removes a field, e.g. the keyboard when editMessageText omits it)."""
        message = stored.message
        if all(message.get(key) == value for key, value in changes.items()):
            raise _bad_request(_NOT_MODIFIED)
        for key, value in changes.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = _now()
        self._rev += 1
        stored.rev = self._rev
        return message

    async def _answer_callback_query(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._open_callbacks:
            raise _bad_request("query is too old and response timeout expired or query ID is invalid")
        self._open_callbacks.discard(query_id)
        answer = {key: params[key] for key in ("text", "show_alert", "url", "cache_time") if key in params}
        self.callback_answers.append({"callback_query_id": query_id, **answer})
        return True

    async def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("can't parse commands JSON object")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not _BOT_COMMAND_RE.fullmatch(str(name)):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = _commands_key(params)
        self._commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        return True

    async def _get_my_commands(self, params: JSON) -> list[JSON]:
        return self._commands.get(_commands_key(params), [])

    async def _delete_my_commands(self, params: JSON) -> bool:
        self._commands.pop(_commands_key(params), None)
        return True

    async def _send_chat_action(self, params: JSON) -> bool:
        self._writable_chat(params.get("chat_id"))
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    async def _copy_message(self, params: JSON) -> JSON:
        target = self._writable_chat(params.get("chat_id"))
        source = self._find_chat(params.get("from_chat_id"))
        original = self._stored_message(source, params, "message to copy not found").message
        copied = ("text", "entities", "photo", "document", "caption", "caption_entities", "reply_markup")
        content = {key: copy.deepcopy(original[key]) for key in copied if key in original}
        if not content.keys() & {"text", "photo", "document"}:
            raise _bad_request("message can't be copied")
        if "caption" in params:
            content["caption"] = _rendered_text(params, "caption", required=False)
        if "reply_markup" in params:
            content["reply_markup"] = _inline_markup(params)
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
            raise _bad_request("invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": f"{stored.kind}s/{file_id}",
        }

    async def _handle_file_download(self, request: web.Request) -> web.Response:
        """What PTB's File.download_* fetches: <base_file_url><token>/<file_path>."""
        if request.match_info["token"] != self.token:
            return ApiError(401, "Unauthorized: invalid token specified").response()
        stored = self._files.get(request.match_info["file_path"].rsplit("/", 1)[-1])
        if stored is None:
            return ApiError(404, "Not Found: file not found").response()
        return web.Response(body=stored.data, content_type="application/octet-stream")

    def _save_file(self, data: bytes, kind: str, file_name: str | None, mime_type: str | None) -> str:
        number = len(self._files) + 1
        file_id = f"emu-{kind}-{number}"
        self._files[file_id] = _File(data, kind, f"emu-u{number}", file_name, mime_type)
        return file_id

    def _photo_sizes(self, file_id: str) -> list[JSON]:
        stored = self._files[file_id]
        width, height = _image_size(stored.data)
        return [
            {
                "file_id": file_id,
                "file_unique_id": stored.file_unique_id,
                "width": width,
                "height": height,
                "file_size": len(stored.data),
            }
        ]

    def _document(self, file_id: str) -> JSON:
        stored = self._files[file_id]
        return _without_none(
            {
                "file_id": file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": stored.file_name,
                "mime_type": stored.mime_type,
                "file_size": len(stored.data),
            }
        )

    # ------------------------------------------------------------------ control API for the demo page

    async def _ctl_list_users(self, _request: web.Request) -> web.Response:
        return web.json_response(list(self._users.values()))

    async def _ctl_create_user(self, request: web.Request) -> web.Response:
        """Body {"id"?, "first_name", "last_name"?, "username"?}; without an id, the next free one."""
        body = await _json_body(request)
        first_name = str(body.get("first_name") or "").strip()
        if not first_name:
            return _ctl_error(400, "first_name is required")
        try:
            user_id = int(body.get("id") or max(self._users, default=9000) + 1)
        except (TypeError, ValueError):
            return _ctl_error(400, "id must be an integer")
        if user_id <= 0:
            return _ctl_error(400, "user ids are positive")
        user = self.add_user(
            user_id, first_name, last_name=body.get("last_name"), username=body.get("username")
        )
        return web.json_response(user)

    async def _ctl_send(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        text = str(body.get("text") or "")
        if not text.strip():
            return _ctl_error(400, "text is required")
        return await _ctl_act(self.send_text(int(request.match_info["user_id"]), text))

    async def _ctl_press(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        try:
            message_id = int(body["message_id"])
        except (KeyError, TypeError, ValueError):
            return _ctl_error(400, "message_id must be an integer")
        return await _ctl_act(
            self.press_button(int(request.match_info["user_id"]), message_id, str(body.get("data", "")))
        )

    async def _ctl_messages(self, request: web.Request) -> web.Response:
        """Messages of both sides with message_id > after (or changed after revision ``since``).

        With ``wait`` it long-polls until something new exists. The reply's ``rev`` is the cursor to pass
        as ``since`` next time, so the page also sees edits of messages it already shows.
        """
        chat_id = int(request.match_info["chat_id"])
        try:
            after = int(request.query.get("after", 0))
            since = int(request.query["since"]) if "since" in request.query else None
            wait = min(max(float(request.query.get("wait", 0)), 0.0), CONTROL_WAIT_MAX_SECONDS)
        except ValueError:
            return _ctl_error(400, "after, since and wait must be numbers")

        def fresh() -> list[_Stored]:
            return [
                s
                for s in self._log.get(chat_id, {}).values()
                if s.message["message_id"] > after or (since is not None and s.rev > since)
            ]

        await self.wait_for(fresh, timeout=wait)
        return web.json_response({"messages": [self._entry(s) for s in fresh()], "rev": self._rev})

    async def _ctl_file(self, request: web.Request) -> web.Response:
        stored = self._files.get(request.match_info["file_id"])
        if stored is None:
            return _ctl_error(404, "unknown file")
        # Only images are served inline; anything else is a download, so a bot-sent HTML file can
        # never run as a page on the demo's origin.
        content_type = next((ct for magic, ct in _IMAGE_MAGIC if stored.data.startswith(magic)), None)
        headers = {"X-Content-Type-Options": "nosniff"}
        if content_type is None:
            content_type = "application/octet-stream"
            name = stored.file_name or request.match_info["file_id"]
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name, safe='')}"
        return web.Response(body=stored.data, content_type=content_type, headers=headers)


# ---------------------------------------------------------------------- helpers


async def _read_params(request: web.Request) -> JSON:
    """Query string plus the body (form, multipart or JSON), decoded the way PTB encoded it."""
    items: list[tuple[str, Any]] = list(request.query.items())
    if request.content_type == "application/json" and request.can_read_body:
        try:
            body = await request.json()
        except ValueError:
            raise _bad_request("can't parse JSON encoded request body") from None
        if not isinstance(body, dict):
            raise _bad_request("JSON request body must be an object")
        items += body.items()
    elif request.method == "POST":
        items += (await request.post()).items()
    params: JSON = {}
    for key, value in items:
        if isinstance(value, web.FileField):
            with value.file:
                params[key] = Upload(value.filename, value.content_type, value.file.read())
        elif isinstance(value, bytes | bytearray):
            params[key] = _decode_value(key, bytes(value).decode())
        else:
            params[key] = _decode_value(key, value)
    return params


def _decode_value(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in _TEXT_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value  # e.g. "@channelname"


def _int_param(params: JSON, key: str, default: int | None = None) -> int:
    value = params.get(key)
    if value is None or value == "":
        if default is None:
            raise _bad_request(f"{key} is empty")
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad_request(f"invalid {key} specified") from None


def _rendered_text(params: JSON, key: str, *, required: bool) -> str | None:
    """The text a Telegram client would show (HTML markup removed) after the server's checks."""
    raw = params.get(key)
    text = None if raw is None or raw == "" else _plain_text(str(raw), params.get("parse_mode"))
    if required and (text is None or not text.strip()):
        raise _bad_request("message text is empty")
    limit, too_long = (
        (MAX_TEXT, "message is too long") if key == "text" else (MAX_CAPTION, "message caption is too long")
    )
    if text is not None and len(text) > limit:
        raise _bad_request(too_long)
    return text


def _plain_text(text: str, parse_mode: Any) -> str:
    """HTML mode: reject unsupported or unbalanced tags like Telegram does, then strip them.

    Other parse modes are accepted as they are (the emulator does not render Markdown).
    """
    if str(parse_mode or "").lower() != "html":
        return text
    stack: list[str] = []
    pieces: list[str] = []
    position = 0
    for match in _HTML_TAG_RE.finditer(text):
        pieces.append(text[position : match.start()])
        position = match.end()
        offset = len(text[: match.start()].encode())
        name = (match.group(2) or "").lower()
        if name not in _HTML_TAGS:
            raise _bad_request(
                f'can\'t parse entities: Unsupported start tag "{name}" at byte offset {offset}'
            )
        if not match.group(1):
            stack.append(name)
        elif not stack or stack.pop() != name:
            raise _bad_request(f'can\'t parse entities: Unmatched end tag at byte offset {offset}, "{name}"')
    if stack:
        raise _bad_request(
            f"can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\""
        )
    pieces.append(text[position:])
    return html.unescape("".join(pieces))


def _inline_markup(params: JSON) -> JSON | None:
    """Only inline keyboards become part of the Message; reply keyboards live on the client side."""
    markup = params.get("reply_markup")
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise _bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise _bad_request("BUTTON_DATA_INVALID")
    return markup


def _buttons(message: JSON) -> list[list[JSON]]:
    """The inline keyboard as the transcript shows it: [[{"text", "data"(, "url")}]]."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [[_button(button) for button in row] for row in rows]


def _button(button: JSON) -> JSON:
    entry = {"text": button.get("text"), "data": button.get("callback_data")}
    if button.get("url"):
        entry["url"] = button["url"]
    return entry


def _is_from(message: JSON, user_id: int) -> bool:
    return message.get("from", {}).get("id") == user_id


def _commands_key(params: JSON) -> tuple[str, str]:
    return _scope_key(params.get("scope"), params.get("language_code") or "")


def _scope_key(scope: Any, language_code: str) -> tuple[str, str]:
    if not isinstance(scope, dict) or scope.get("type") == "default":
        scope = {"type": "default"}
    return json.dumps(scope, sort_keys=True), language_code


def _image_size(data: bytes) -> tuple[int, int]:
    if data.startswith(_IMAGE_MAGIC[0][0]) and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return 800, 600


async def _json_body(request: web.Request) -> JSON:
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


async def _ctl_act(action: Awaitable[JSON]) -> web.Response:
    try:
        await action
    except EmulatorError as error:
        return _ctl_error(400, str(error))
    return web.json_response({"ok": True})


def _ctl_error(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "description": description}, status=status)


def _without_none(values: JSON) -> JSON:
    return {key: value for key, value in values.items() if value is not None}


def _utf16_len(text: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _now() -> int:
    """Message dates are Unix seconds (PTB fails on milliseconds)."""
    return int(time.time())
