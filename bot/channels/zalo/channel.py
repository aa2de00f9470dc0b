"""The Zalo channel: events in (long polling or webhook), through the dispatcher, replies out.

Every private-chat event is first stored in the inbox (`SharedInbox`, in the database, so
another process takes it over if this one dies), then acknowledged (the webhook's
200, or the next `getUpdates`), then handled by a worker: Zalo gets its answer at once and a
crash in between loses nothing. Workers are lanes keyed by chat, so one person's
messages are handled in order while different people are handled side by side. A typed
number or option text is turned into the chosen option's value (`SharedOffers`) before the
dispatcher sees it, exactly as a Telegram button press would arrive.

Webhook calls are checked in constant time against the secret (401 otherwise), must be JSON
(415), an event object of sane depth (400 otherwise, see `bot.channels.json_body`), may be
wrapped or bare, and a replayed event (same event name and message id) is answered 200 and ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import zlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web

from bot.channels.json_body import json_object
from bot.channels.zalo.client import ZaloClient, ZaloError
from bot.channels.zalo.convert import chat_of, event_key, to_incoming, unwrap
from bot.channels.zalo.inbox import SharedInbox
from bot.channels.zalo.media import SharedMedia
from bot.channels.zalo.offers import SharedOffers
from bot.channels.zalo.sender import ZaloSender
from bot.core.channel import Handle
from bot.core.log_ref import chat_ref
from bot.core.messages import Edit, Incoming, Outgoing, Response
from bot.core.meter import NO_METER, Meter
from bot.core.sending import SendError
from broadcasts.limits import SendBudget
from storage.failures import is_database_error

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
RECENT_KEYS = 4096  # event keys remembered to answer obvious replays without touching the disk


@dataclass(frozen=True)
class _Work:
    """One event to handle: from the inbox (`ticket`), or a group command kept only in memory."""

    event: dict[str, Any]
    ticket: Any = None


class ZaloChannel:
    """Owns the Zalo client, the inbox and its workers; started and stopped by the composition root."""

    platform = "zalo"

    def __init__(
        self,
        *,
        client: ZaloClient,
        handle: Handle,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        inbox: SharedInbox,
        offers: SharedOffers,
        media: SharedMedia | None = None,
        public_base_url: str | None = None,
        poll_timeout: int = 30,
        lanes: int = 4,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        budget: SendBudget | None = None,
        on_throttled: Callable[[], None] | None = None,
        meter: Meter = NO_METER,
    ) -> None:
        """`budget`: the token's one sending budget, shared with the outbox's sender.
        `on_throttled`: told of each 429 a reply gets (metrics)."""
        self.client = client
        self.handle = handle
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.poll_timeout = poll_timeout
        self.meter = meter  # counts the inbox's database failures
        self.inbox = inbox
        self.offers = offers
        self.sender = ZaloSender(
            client, media=media, public_base_url=public_base_url, offers=self.offers, pacer=budget,
            on_throttled=on_throttled,
        )
        self._sleep = sleep
        self._queues: list[asyncio.Queue[_Work]] = [asyncio.Queue() for _ in range(max(1, lanes))]
        self._tasks: list[asyncio.Task[None]] = []
        self._recent: OrderedDict[str, None] = OrderedDict()
        self.account_name: str | None = None

    async def fetch_file(self, file_id: str) -> bytes:
        """A photo a person sent: on Zalo its "file id" is the photo's URL."""
        return await self.client.download(file_id)

    def outbox_sender(self, pacer: SendBudget) -> ZaloSender:
        """The `Sender` to register with the outbox: same client, paced by `pacer`."""
        return self.sender.paced(pacer)

    async def ping(self) -> None:
        """getMe again (for /readyz): raises when Zalo does not answer."""
        await self.client.get_me()

    async def start(self) -> None:
        """Connect (getMe), pick up what a previous run left, then poll or register the webhook."""
        await self.client.start()
        me = await self.client.get_me()
        self.account_name = (me or {}).get("account_name")
        for index, queue in enumerate(self._queues):
            self._tasks.append(asyncio.create_task(self._work(queue), name=f"zalo-lane-{index}"))
        for ticket, event in await self.inbox.take():
            self._enqueue(_Work(event, ticket))
        self._tasks.append(asyncio.create_task(self._sweep(self.inbox.sweep_seconds), name="zalo-inbox"))
        if self.webhook_url:
            await self.client.set_webhook(self.webhook_url, self.webhook_secret or "")
            log.info("zalo: webhook mode")
        else:
            with contextlib.suppress(ZaloError):  # getUpdates does not work while a webhook is set
                await self.client.delete_webhook()
            self._tasks.append(asyncio.create_task(self._poll(), name="zalo-poll"))
            log.info("zalo: polling mode")

    async def stop(self) -> None:
        """Stop polling and the workers; events not handled yet stay in the inbox, given back for
        another process or the next start."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        try:
            await self.inbox.release()
        except Exception:
            log.exception("zalo: could not give back the inbox (its lease will run out)")
        await self.client.close()

    async def drain(self) -> None:
        """Wait until every accepted event has been handled (tests, orderly shutdowns)."""
        for queue in self._queues:
            await queue.join()

    # ------------------------------------------------------------------ inbound

    async def handle_webhook(self, request: web.Request) -> web.Response:
        """aiohttp route for Zalo's webhook calls."""
        given = request.headers.get(SECRET_HEADER, "")
        expected = self.webhook_secret or ""
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            return web.Response(status=401)
        if request.content_type != "application/json":
            return web.Response(status=415)
        try:
            event = unwrap(json_object(await request.read()))
        except ValueError as refused:  # BadBody, or an object that is no Zalo event
            log.warning("zalo: webhook body refused: %s", refused)
            return web.Response(status=400)
        await self.accept(event)
        return web.json_response({"message": "Success"})

    async def accept(self, event: dict[str, Any]) -> None:
        """Take one event: group commands into memory, private events into the inbox (durably), then queue it."""
        key = event_key(event)
        if key is not None and key in self._recent:
            log.info("zalo: ignoring replayed event %s", key)
            return
        where = chat_of(event)
        if where is None or to_incoming(event) is None:
            return  # nothing for us (and group chatter is never stored)
        _, private = where
        try:
            ticket = await self.inbox.put(event) if private else None  # durable first
        except Exception as exc:  # Zalo gets no 200, so it is not acknowledged: nothing lost here
            if is_database_error(exc):
                self.meter.database_error("zalo_inbox")
            raise
        if key is not None:
            self._recent[key] = None
            while len(self._recent) > RECENT_KEYS:
                self._recent.popitem(last=False)
        self._enqueue(_Work(event, ticket))

    async def _sweep(self, seconds: float) -> None:
        """Keep holding what we hold; take over what a dead process held once its lease ran out."""
        while True:
            await self._sleep(seconds)
            try:
                await self.inbox.keep()
                for ticket, event in await self.inbox.take():
                    self._enqueue(_Work(event, ticket))
            except Exception as exc:
                log.exception("zalo: the inbox sweep failed; trying again")
                if is_database_error(exc):
                    self.meter.database_error("zalo_inbox")

    async def _poll(self) -> None:
        """getUpdates, one event per call; 408 (None) means none came; errors back off up to a minute."""
        delay = 1.0
        while True:
            try:
                payload = await self.client.get_update(self.poll_timeout)
                delay = 1.0
            except ZaloError as exc:
                log.warning("zalo: getUpdates failed (%s); retrying in %.0f s", exc.status or "network", delay)
                await self._sleep(delay)
                delay = min(delay * 2, 60.0)
                continue
            if not payload:
                continue
            try:
                event = unwrap(payload)
            except ValueError:
                log.warning("zalo: getUpdates returned something that is not an event")
                continue
            await self.accept(event)

    def _enqueue(self, work: _Work) -> None:
        where = chat_of(work.event)
        chat = where[0] if where else ""
        self._queues[zlib.crc32(chat.encode()) % len(self._queues)].put_nowait(work)

    async def _work(self, queue: asyncio.Queue[_Work]) -> None:
        while True:
            work = await queue.get()
            try:
                await self._handle(work.event)
                if work.ticket is not None:
                    await self.inbox.done(work.ticket)
            except Exception:
                # The dispatcher has its own error boundary; this is a bug in delivering. Keep the
                # inbox row, so it is tried again (the dispatcher ignores it if it was handled).
                log.exception("zalo: could not handle an event")
            finally:
                queue.task_done()

    async def _handle(self, event: dict[str, Any]) -> None:
        incoming = to_incoming(event)
        if incoming is None:
            return
        await self.handle(await self._chosen(incoming), self.deliver)

    async def _chosen(self, incoming: Incoming) -> Incoming:
        """A typed number or option text becomes the option's value, as a button press would."""
        if incoming.text is None or incoming.command is not None or incoming.attachments:
            return incoming
        value = await self.offers.resolve(incoming.chat_id, incoming.text)
        return incoming if value is None else replace(incoming, choice=value, text=None)

    # ------------------------------------------------------------------ outbound

    async def deliver(self, chat_id: str, response: Response) -> None:
        """Send the replies in order (notices are the root's to route). Zalo has no menu."""
        for reply in response.replies:
            try:
                await self.sender.send(chat_id, reply)
            except SendError as exc:
                log.warning("zalo: reply to %s failed: %s", chat_ref(chat_id), exc)
                break

    async def send_notice(self, chat_id: str, message: Outgoing) -> str | None:
        """A notice does not take over the numbers of a question the person has open (`SharedOffers`)."""
        try:
            return await self.sender.send(chat_id, message, notice=True)
        except SendError as exc:
            log.warning("zalo: notice to %s failed: %s", chat_ref(chat_id), exc)
            return None

    async def edit(self, edit: Edit) -> None:
        """Zalo cannot edit a sent message: the item leaves /viec, and an old option answers with a note."""
