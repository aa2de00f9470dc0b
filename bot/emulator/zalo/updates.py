"""How events reach the bot: POSTed to its webhook, or handed out by `getUpdates`, one per call.

A webhook delivery is the wrapped shape `{"ok": true, "result": {"event_name", "message"}}`
with the secret in `X-Bot-Api-Secret-Token`, and it is awaited: when a scripted act returns,
the bot has answered the call. Whether Zalo retries a refused delivery is undocumented; the
emulator does not (the answer is recorded in `webhook_responses`). Without a webhook, events
wait in a queue; `getUpdates` returns the oldest one, or 408 "Request timeout" after its
`timeout` (a string of seconds, default 30). There is no offset and no acknowledgement: an
event handed out is gone. A newer poll ends an older one still waiting (it gets its 408), so
a restarted bot is never robbed by its predecessor's dangling request.
"""

from __future__ import annotations

import copy
import json

from aiohttp import ClientError, ClientSession, ClientTimeout

from bot.emulator.zalo.wire import JSON, SECRET_HEADER, SECRET_MAX, SECRET_MIN, ApiError
from bot.emulator.zalo.world import EmulatorError, World, now_ms

LONG_POLL_MAX_SECONDS = 60


class Updates(World):
    """Event delivery, and the Bot API methods that choose between webhook and getUpdates."""

    def __init__(self, bot_user: JSON) -> None:
        super().__init__(bot_user)
        self._queue: list[JSON] = []
        self._last_event: JSON | None = None
        self._webhook: JSON | None = None  # {"url", "secret_token", "updated_at"}
        self._poll_generation = 0
        self._session: ClientSession | None = None
        self.wrap_webhook_events = True  # False: POST the bare {event_name, message} shape

    async def push_event(self, event: JSON) -> None:
        """Deliver a hand-made event ({"event_name", "message"})."""
        await self._deliver(copy.deepcopy(event))

    async def replay_last_event(self) -> None:
        """Deliver the last event again, unchanged (what a retrying platform would do)."""
        if self._last_event is None:
            raise EmulatorError("no event was delivered yet")
        await self._deliver(copy.deepcopy(self._last_event))

    async def _deliver(self, event: JSON) -> None:
        self._last_event = event
        if self._webhook is not None:
            await self._post_to_webhook(event)
        else:
            self._queue.append(event)
            await self._notify()

    async def _post_to_webhook(self, event: JSON) -> None:
        assert self._webhook is not None
        body = {"ok": True, "result": event} if self.wrap_webhook_events else event
        headers = {"Content-Type": "application/json", SECRET_HEADER: self._webhook["secret_token"]}
        if self._session is None:
            self._session = ClientSession(timeout=ClientTimeout(total=60))
        try:
            async with self._session.post(self._webhook["url"], data=json.dumps(body), headers=headers) as resp:
                await resp.read()
                status: int | None = resp.status
        except (ClientError, TimeoutError):
            status = None
        self.webhook_responses.append(status)

    # ------------------------------------------------------------------ Bot API: getting events

    async def _get_updates(self, params: JSON) -> JSON:
        if self._webhook is not None:
            raise ApiError(400, "Bad request: getUpdates is unavailable while a webhook is set")
        try:
            timeout = min(max(float(params.get("timeout", 30)), 0.0), LONG_POLL_MAX_SECONDS)
        except (TypeError, ValueError):
            raise ApiError(400, "Bad request: timeout must be a number of seconds") from None
        self._poll_generation += 1
        generation = self._poll_generation
        await self._notify()  # an older poll still waiting ends now
        await self.wait_for(
            lambda: self._queue or self._webhook or generation != self._poll_generation, timeout=timeout
        )
        if generation != self._poll_generation or not self._queue or self._webhook is not None:
            raise ApiError(408, "Request timeout")
        return self._queue.pop(0)

    async def _set_webhook(self, params: JSON) -> JSON:
        url = str(params.get("url") or "")
        if not url.startswith(("https://", "http://")):
            raise ApiError(400, "Bad request: url must be an HTTPS URL")
        secret = str(params.get("secret_token") or "")
        if not SECRET_MIN <= len(secret) <= SECRET_MAX:
            raise ApiError(400, f"Bad request: secret_token must be {SECRET_MIN}-{SECRET_MAX} characters")
        self._webhook = {"url": url, "secret_token": secret, "updated_at": now_ms()}
        await self._notify()
        return {"url": url, "updated_at": self._webhook["updated_at"]}

    async def _delete_webhook(self, _params: JSON) -> JSON:
        self._webhook = None
        return {"url": "", "updated_at": now_ms()}

    async def _get_webhook_info(self, _params: JSON) -> JSON:
        if self._webhook is None:
            return {"url": "", "updated_at": now_ms()}
        return {"url": self._webhook["url"], "updated_at": self._webhook["updated_at"]}
