"""How updates reach the bot: POSTed to its webhook, or queued for its getUpdates long polls.

A webhook delivery is awaited, so when a scripted act returns the bot has already answered it. An
update the webhook refused stays pending and goes out before the next one, as Telegram retries it.
Without a webhook, updates wait in a queue that getUpdates hands out and a higher offset confirms.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
from dataclasses import dataclass

from aiohttp import ClientError, ClientSession, ClientTimeout

from bot.emulator.telegram.wire import JSON, ApiError, bad_request, int_param
from bot.emulator.telegram.world import EmulatorError, World, now, without_none

LONG_POLL_MAX_SECONDS = 50  # the reference server clamps getUpdates' timeout to 0..50

# Update types Telegram leaves out unless allowed_updates names them explicitly.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass
class _Queued:
    """An update waiting for getUpdates; ``sent`` = handed out once, so a higher offset confirms it."""

    update: JSON
    sent: bool = False


class Updates(World):
    """Update delivery, and the Bot API methods that choose between webhook and getUpdates."""

    def __init__(self, bot_user: JSON) -> None:
        super().__init__(bot_user)
        self._queue: list[_Queued] = []
        self._update_id = 0
        self._last_update: JSON | None = None
        self._allowed_updates: list[str] = []
        self._webhook: JSON | None = None
        self._webhook_error: tuple[int, str] | None = None
        self._delivery_lock = asyncio.Lock()
        self._poll_generation = 0
        self._session: ClientSession | None = None

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

    # ------------------------------------------------------------------ delivery

    def continue_after(self, update_id: int) -> None:
        """Number the next updates after ``update_id``, as Telegram keeps counting across a bot's life.

        A fresh emulator starts at 1; a bot whose database remembers earlier ids (the demo, run
        again on its file) would take the new updates for replays and ignore them.
        """
        self._update_id = max(self._update_id, update_id)

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
                body = await resp.read()
                status: int | None = resp.status
            if status is not None and 200 <= status < 300:
                await self._webhook_reply(body)
        except (ClientError, TimeoutError) as error:
            status = None
            self._webhook_error = (now(), f"Connection failed: {error!r}")
        self.webhook_responses.append(status)
        if status is not None and not 200 <= status < 300:
            self._webhook_error = (now(), f"Wrong response from the webhook: {status}")
        return status is not None and 200 <= status < 300

    # ------------------------------------------------------------------ Bot API: getting updates

    async def _webhook_reply(self, body: bytes) -> None:
        """A method in the webhook's response (Telegram runs it, no result comes back): see BotApi."""

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._set_allowed_updates(params)
        offset = int_param(params, "offset", 0)
        limit = min(max(int_param(params, "limit", 100), 1), 100)
        timeout = min(max(int_param(params, "timeout", 0), 0), LONG_POLL_MAX_SECONDS)
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
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.fullmatch(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        self._set_allowed_updates(params)
        if params.get("drop_pending_updates"):
            self._queue.clear()
        self._webhook = without_none(
            {"url": url, "secret_token": secret, "max_connections": int_param(params, "max_connections", 40)}
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
