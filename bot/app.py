"""The composition root: builds every part once, starts them in order, stops them in reverse.

Nothing else creates engines, sessions factories, channels or servers; tests build a
`KetNoiApp` the same way `python -m bot run` does.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels.facebook.client import GraphClient
from bot.channels.facebook.sender import FacebookSender
from bot.channels.mail.smtp import SmtpSender
from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.outbox_bot import build_outbox_bot
from bot.channels.telegram.sender import TelegramSender
from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.client import ZaloClient
from bot.channels.zalo.inbox import SharedInbox
from bot.channels.zalo.media import MEDIA_ROUTE, SharedMedia
from bot.channels.zalo.offers import SharedOffers
from bot.console.server import PREFIX as CONSOLE_PREFIX
from bot.console.server import SIGN_IN_PATH, build_console
from bot.console.shared.deps import ConsoleDeps
from bot.core.channel import Channel, Deliver
from bot.core.clock import Clock, utc_now
from bot.core.log_ref import chat_ref
from bot.core.messages import Incoming, Outgoing, Response
from bot.core.periods import Schedule
from bot.logs import install_redaction, uninstall_redaction
from bot.metrics import PrometheusMeter
from bot.readiness import Readiness
from bot.scheduler import (
    HOUSEKEEPING_JOB,
    ISSUES_JOB,
    MAIL_JOB,
    RELEASE_JOB,
    REMINDERS_JOB,
    Scheduler,
    prune_job_runs,
)
from bot.services import notices
from bot.services.listening.feedback import SenderLimit, prune_sends
from bot.services.listening.feedback import load_config as load_feedback_config
from bot.services.listening.issue_alerts import IssueAlerts
from bot.services.pages import PLATFORM as PAGES
from bot.services.pages import links as page_links
from bot.services.pages.journal import PostJournal
from bot.services.pages.sealing import TokenBox
from bot.services.people import linking
from bot.services.people.housekeeping import prune
from bot.services.people.people import Actor
from bot.settings import Settings
from bot.web import TELEGRAM_WEBHOOK_PATH, ZALO_WEBHOOK_PATH, Probes, WebServer, build_web_app
from broadcasts import approval as broadcast_service
from broadcasts.backlog import pending_by_platform
from broadcasts.limits import Limits, SendBudget
from broadcasts.mail.outbox import FailedMail, MailOutbox, failure_recipients
from broadcasts.mail.produce import MailQueue
from broadcasts.outbox import OutboxConfig, OutboxWorker
from broadcasts.reminders.decide import ReminderPolicy
from broadcasts.reminders.send import Reminders
from broadcasts.shared_budget import DatabaseTimeline, budget_key
from broadcasts.summary import BroadcastSummary
from handlers.broadcast_texts import summary_text
from handlers.dispatch import Dispatcher
from handlers.feedback import FeedbackDeps, issue_realert
from handlers.flow import HandlerConfig
from handlers.mail import MailWording
from handlers.page_texts import PAGES as PAGE_TEXTS
from handlers.registry import build_catalogue, build_dispatcher
from handlers.reminders import ReminderWording
from handlers.shares import share_choice
from storage.db import DatabaseUnreachable, make_engine, make_session_factory, wait_for_database
from storage.migrate import upgrade

log = logging.getLogger(__name__)


@dataclass
class KetNoiApp:
    """One running KetNoi: database, dispatcher, web server and the configured channels."""

    settings: Settings
    clock: Clock = utc_now
    configure_web: Callable[[web.Application], None] | None = None
    engine: AsyncEngine = field(init=False)
    session_factory: async_sessionmaker[AsyncSession] = field(init=False)
    dispatcher: Dispatcher = field(init=False)
    web: WebServer = field(init=False)
    telegram: TelegramChannel | None = field(init=False, default=None)
    zalo: ZaloChannel | None = field(init=False, default=None)
    media: SharedMedia = field(init=False)  # our images, fetched by Zalo from any process
    zalo_offers: SharedOffers = field(init=False)
    zalo_inbox: SharedInbox = field(init=False)  # Zalo events accepted, not yet handled
    reminders: Reminders = field(init=False)
    issue_alerts: IssueAlerts = field(init=False)
    scheduler: Scheduler = field(init=False)
    outbox: OutboxWorker | None = field(init=False, default=None)
    mail_queue: MailQueue | None = field(init=False, default=None)  # None without SMTP_URL
    mail_outbox: MailOutbox | None = field(init=False, default=None)
    meter: PrometheusMeter = field(init=False)  # counts into a registry of its own: GET /metrics
    readiness: Readiness = field(init=False)  # GET /readyz
    budgets: dict[str, SendBudget] = field(init=False, default_factory=dict)  # one per token, every sender's
    _outbox_bot: object | None = field(init=False, default=None)
    page_box: TokenBox | None = field(init=False, default=None)  # Facebook Pages are on with PAGE_TOKEN_KEY
    _graph: GraphClient | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        s = self.settings
        install_redaction(s.secrets())  # before anything can log a URL with the token in it
        self.engine = make_engine(s.database_url)
        if s.page_token_key is not None:
            self.page_box = TokenBox(s.page_token_key.get_secret_value())
        self.session_factory = make_session_factory(self.engine)
        platforms = tuple(p for p, token in (("telegram", s.telegram_bot_token), ("zalo", s.zalo_bot_token)) if token)
        self.meter = PrometheusMeter(platforms, pending=self._pending)
        self.media = SharedMedia(self.session_factory, clock=self.clock)
        self.zalo_offers = SharedOffers(self.session_factory, clock=lambda: self.clock().timestamp())
        self.zalo_inbox = SharedInbox(self.session_factory, clock=self.clock, lease_seconds=s.zalo_inbox_lease_seconds)
        feedback_deps = FeedbackDeps(SenderLimit(load_feedback_config().per_person_per_hour, key=s.feedback_hash_key()))
        catalogue = build_catalogue(feedback_deps)
        config = HandlerConfig(
            conversation_ttl=timedelta(hours=s.conversation_ttl_hours),
            invite_ttl=timedelta(days=s.invite_ttl_days),
            code_tries_per_hour=s.code_tries_per_hour,
            tz_name=s.tz_name,
            schedule=Schedule.load(tz_name=s.tz_name),
            allow_self_approval=s.allow_self_approval,
            platforms=platforms,
            wake_outbox=self._wake_outbox,
            fetch_file=self._fetch_file,
            outbox_stopped=self._outbox_stopped,
            console_url=f"{self.public_url}{CONSOLE_PREFIX}{SIGN_IN_PATH}",
            page_box=self.page_box,
        )
        self.dispatcher = build_dispatcher(self.session_factory, config, self.clock, feedback_deps, self.meter)
        self.reminders = Reminders(
            self.session_factory, self.notify, self.clock, config.schedule,
            ReminderPolicy.load(tz_name=s.tz_name), render=ReminderWording(s.tz_name), meter=self.meter,
        )
        self.scheduler = Scheduler(s.tz_name, self.session_factory, self.clock, self.meter)  # one run per tick, all processes
        self.scheduler.every(REMINDERS_JOB, s.reminder_tick_minutes, self.reminders.tick)
        self.issue_alerts = IssueAlerts(
            self.session_factory, self.notify, self.clock,
            timedelta(minutes=load_feedback_config().urgent_ack_minutes), render=issue_realert,
        )
        self.scheduler.every(ISSUES_JOB, s.reminder_tick_minutes, self.issue_alerts.tick)
        self._build_mail(config.schedule)
        web_app = build_web_app(Probes(
            ready=lambda: self.readiness.check(), metrics=self.meter.render,
            metrics_content_type=self.meter.content_type,
            metrics_token=s.metrics_token.get_secret_value() if s.metrics_token else None,
        ))
        self._build_budgets()
        if s.telegram_bot_token is not None:
            self.telegram = TelegramChannel(
                token=s.telegram_bot_token.get_secret_value(),
                base_url=s.telegram_api_base_url,
                webhook_url=s.telegram_webhook_url,
                webhook_secret=s.telegram_webhook_secret.get_secret_value()
                if s.telegram_webhook_secret
                else None,
                default_menu=catalogue.menu(Actor(person=None)),
                handle=self.converse,
                budget=self.budgets["telegram"],
                on_throttled=partial(self.meter.throttled, "telegram"),
            )
            if s.telegram_webhook_url:
                path = urlsplit(s.telegram_webhook_url).path or TELEGRAM_WEBHOOK_PATH
                web_app.router.add_post(path, self.telegram.handle_webhook)
        if s.zalo_bot_token is not None:
            self.zalo = ZaloChannel(
                client=ZaloClient(s.zalo_bot_token.get_secret_value(), s.zalo_api_base_url),
                handle=self.converse,
                webhook_url=s.zalo_webhook_url,
                webhook_secret=s.zalo_webhook_secret.get_secret_value() if s.zalo_webhook_secret else None,
                media=self.media,
                public_base_url=s.public_base_url,
                inbox=self.zalo_inbox,
                offers=self.zalo_offers,
                budget=self.budgets["zalo"],
                on_throttled=partial(self.meter.throttled, "zalo"),
                meter=self.meter,
            )
            web_app.router.add_get(MEDIA_ROUTE, self.media.handle)
            if s.zalo_webhook_url:
                path = urlsplit(s.zalo_webhook_url).path or ZALO_WEBHOOK_PATH
                web_app.router.add_post(path, self.zalo.handle_webhook)
        web_app.add_subapp(f"{CONSOLE_PREFIX}/", build_console(ConsoleDeps(
            self.session_factory, self.clock, self.dispatcher, self.route, tz_name=s.tz_name,
            idle=timedelta(minutes=s.console_idle_minutes), secure_cookies=self.public_url.startswith("https://"),
            fetch_file=self._fetch_file,
        )))
        # Every channel offers ping() (getMe again) for /readyz.
        pings = {platform: channel.ping for platform, channel in self.channels.items()}  # type: ignore[attr-defined]
        self.readiness = Readiness(self.engine, pings, meter=self.meter)
        if self.configure_web is not None:
            self.configure_web(web_app)
        self.web = WebServer(web_app, s.web_host, s.web_port)
        self.scheduler.every(RELEASE_JOB, 1, self.release_due_broadcasts)
        self.scheduler.every(HOUSEKEEPING_JOB, 60, self.housekeeping)

    def _build_mail(self, schedule: Schedule) -> None:
        """The units' mailboxes, when SMTP_URL is set: queue what is due, then send, every minute."""
        s = self.settings
        target = s.smtp_target
        if target is None or s.mail_from is None:
            log.info("no SMTP_URL: e-mail to units' mailboxes is off")
            return
        self.mail_queue = MailQueue(
            self.session_factory, self.clock, schedule, ReminderPolicy.load(tz_name=s.tz_name), MailWording(s.tz_name)
        )
        self.mail_outbox = MailOutbox(
            self.session_factory, SmtpSender(target, ca_file=s.smtp_ca_file), self.clock, s.mail_from,
            on_failed=self._tell_mail_failed,
        )
        self.scheduler.every(MAIL_JOB, 1, self.mail_tick)

    async def mail_tick(self) -> int:
        """Queue what is due for the mailboxes, then send what waits; returns how many were sent."""
        if self.mail_queue is None or self.mail_outbox is None:
            return 0
        try:
            await self.mail_queue.tick()
        except Exception:  # what was queued before still goes out
            log.exception("queuing mail failed")
        return await self.mail_outbox.send_due()

    async def _tell_mail_failed(self, failed: FailedMail) -> None:
        async with self.session_factory() as session:
            admins = await failure_recipients(session, failed.unit_id)
        for admin in admins:
            await self.notify(MailWording.failed(admin, failed))

    @property
    def public_url(self) -> str:
        """Where people reach this server: PUBLIC_BASE_URL, else the address it listens on."""
        s = self.settings
        return (s.public_base_url or f"http://{s.web_host}:{s.web_port}").rstrip("/")

    async def _pending(self) -> dict[str, int]:
        async with self.session_factory() as session:
            return await pending_by_platform(session)

    async def housekeeping(self) -> None:
        now = self.clock()
        async with self.session_factory() as session, session.begin():
            pruned = await prune(session, now)
            await prune_sends(session, now)
            await prune_job_runs(session, now)
        await self.media.prune()
        await self.zalo_offers.prune()
        log.info("pruned %s update ids, %s finished conversations and %s old wrong codes",
                 pruned.update_ids, pruned.conversations, pruned.code_tries)

    def _build_budgets(self) -> None:
        """One sending budget per token, shared by the channel's replies, notices and reminders and
        by the outbox; on PostgreSQL also by every other process sending with the token."""
        s = self.settings
        if s.telegram_bot_token is not None:
            limits = Limits(enabled=s.broadcast_limits, paid_broadcast=s.telegram_paid_broadcast)
            self.budgets["telegram"] = self._budget("telegram", s.telegram_bot_token.get_secret_value(), limits)
        if s.zalo_bot_token is not None:
            limits = Limits.zalo(s.zalo_messages_per_second)
            self.budgets["zalo"] = self._budget(
                "zalo", s.zalo_bot_token.get_secret_value(), limits if s.broadcast_limits else limits.without_pacing()
            )

    def _budget(self, platform: str, token: str, limits: Limits) -> SendBudget:
        shared = None
        if limits.enabled and self.engine.dialect.name == "postgresql":
            shared = DatabaseTimeline(self.session_factory, budget_key(platform, token), meter=self.meter)
        return SendBudget(limits, shared=shared)

    def _build_outbox(self) -> OutboxWorker | None:
        """One outbox for every platform, each sending within its token's budget."""
        s = self.settings
        senders, pacers = {}, {}
        if self.telegram is not None:
            pacers["telegram"] = self.budgets["telegram"]
            self._outbox_bot = build_outbox_bot(
                s.telegram_bot_token.get_secret_value(), base_url=s.telegram_api_base_url, pacer=pacers["telegram"]
            )
            senders["telegram"] = TelegramSender(self._outbox_bot)
        if self.zalo is not None:
            pacers["zalo"] = self.budgets["zalo"]
            senders["zalo"] = self.zalo.outbox_sender(pacers["zalo"])
        if self.page_box is not None:
            # Facebook publishes no per-second limit for Pages; a few posts a second per process, and
            # its rate-limit codes pause the lane (FacebookSender). Kept with the budgets to be closed.
            self.budgets[PAGES] = SendBudget(Limits(overall_per_second=2.0) if s.broadcast_limits else Limits(enabled=False))
            pacers[PAGES] = self.budgets[PAGES]
            self._graph = GraphClient(s.facebook_graph_api_base_url)
            senders[PAGES] = FacebookSender(
                self._graph, self._page_token, journal=PostJournal(self.session_factory),
                on_broken=self._page_broken, clock=self.clock,
            )
        if not senders:
            return None
        return OutboxWorker(
            self.session_factory, senders, pacers=pacers, clock=self.clock, on_finished=self._tell_author,
            config=OutboxConfig(lease_seconds=s.outbox_lease_seconds), share_choice=share_choice, meter=self.meter,
        )

    async def _page_token(self, page_id: str) -> str | None:
        assert self.page_box is not None
        async with self.session_factory() as session:
            return await page_links.token_of(session, page_id, self.page_box)

    async def _page_broken(self, page_id: str, reason: str) -> None:
        """Facebook refused a Page's token: the link stops, and the province admins learn what to do."""
        async with self.session_factory() as session, session.begin():
            link = await page_links.mark_broken(session, page_id, reason, now=self.clock())
            admins = await page_links.admins_to_tell(session, link) if link is not None else []
        if link is None:
            return
        log.warning("facebook: the token of Page %s was refused (%s); the link is broken", page_id, reason)
        text = PAGE_TEXTS["broken"].format(
            title=link.title or page_id, page_id=page_id, unit=link.unit_name or "—",
            unit_code=link.unit_code or "<mã đơn vị>", reason=reason,
        )
        for admin in admins:
            try:
                await self.notify(Outgoing(text, platform=admin.platform, chat_id=admin.chat_id))
            except Exception:
                log.exception("could not tell an admin that Page %s needs a new token", page_id)

    async def _tell_author(self, summary: BroadcastSummary) -> None:
        for platform, chat_id in summary.author_chats[:1]:  # notify() picks their preferred platform
            await self.notify(Outgoing(summary_text(summary), platform=platform, chat_id=chat_id))

    async def _fetch_file(self, platform: str, file_id: str) -> bytes:
        return await self.channels[platform].fetch_file(file_id)

    def _wake_outbox(self) -> None:
        if self.outbox is not None:
            self.outbox.wake()

    def _outbox_stopped(self, broadcast_id: int) -> None:
        if self.outbox is not None:
            self.outbox.broadcast_stopped(broadcast_id)

    async def release_due_broadcasts(self) -> int:
        """Scheduled broadcasts whose time has come; the version guard makes a stale job do nothing."""
        now = self.clock()
        async with self.session_factory() as session:
            due = await broadcast_service.due_for_release(session, now=now)
        released = 0
        for broadcast_id, version in due:
            async with self.session_factory() as session, session.begin():
                if await broadcast_service.release_scheduled(session, broadcast_id, version, now=now):
                    released += 1
        if released:
            self._wake_outbox()
        return released

    async def start(self) -> None:
        """Wait for the database, migrate, serve HTTP (webhooks must be reachable first), then
        connect the channels."""
        try:
            await wait_for_database(self.engine, wait_seconds=self.settings.database_wait_seconds)
        except DatabaseUnreachable:
            await self.engine.dispose()
            raise
        await upgrade(self.engine)
        await self.web.start()
        if self.telegram is not None:
            username = await self.telegram.connect()  # before any update: links and /start need it
            self.dispatcher.config = replace(self.dispatcher.config, bot_username=username)
            await self.telegram.start()
        else:
            log.warning("no TELEGRAM_BOT_TOKEN: Telegram is off")
        if self.zalo is not None:
            if await self.zalo_inbox.adopt(self.settings.zalo_state_dir / "inbox"):
                log.info("zalo: events left in the old on-disk inbox were moved into the database")
            await self.zalo.start()
        else:
            log.warning("no ZALO_BOT_TOKEN: Zalo is off")
        self.outbox = self._build_outbox()
        if self.outbox is not None:
            if self._outbox_bot is not None:
                await self._outbox_bot.initialize()
            await self.outbox.start()  # picks up whatever a previous run left unfinished
        self.scheduler.start()
        self.readiness.started()  # each channel's getMe answered above
        log.info("KetNoi is running (process %s)", os.getpid())

    async def stop(self) -> None:
        await self.scheduler.stop()
        if self.outbox is not None:
            await self.outbox.stop()
        if self._outbox_bot is not None:
            await self._outbox_bot.shutdown()
        if self._graph is not None:
            await self._graph.close()
        if self.telegram is not None:
            await self.telegram.stop()
        if self.zalo is not None:
            await self.zalo.stop()
        await self.web.stop()
        for budget in self.budgets.values():
            await budget.close()
        await self.engine.dispose()
        uninstall_redaction()

    @property
    def channels(self) -> dict[str, Channel]:
        """The running channels by platform."""
        running: list[Channel] = [c for c in (self.telegram, self.zalo) if c is not None]
        return {c.platform: c for c in running}

    async def converse(self, incoming: Incoming, deliver: Deliver) -> None:
        """Every channel's events come here: answer, deliver the replies, then route the notices.

        Notices (to people other than the sender) are routed here, once, after the sender's
        replies went out, whichever channel the event came from.
        """
        started = time.perf_counter()
        response = await self.dispatcher.handle(incoming)
        await deliver(incoming.chat_id, replace(response, notices=[], edits=[]))
        self.meter.reply_latency(incoming.platform, time.perf_counter() - started)
        await self.route(response)

    async def route(self, response: Response) -> None:
        """A handled event's notices to other people, and the edits of the other admins' copies of
        what was just settled: the chat's and the web console's alike."""
        for notice in response.notices:
            await self.notify(notice)
        for edit in response.edits:
            channel = self.channels.get(edit.platform)
            if channel is not None:
                await channel.edit(edit)

    async def notify(self, message: Outgoing) -> None:
        """Send a message to someone other than the sender of the current event.

        A person with accounts on both platforms gets it on the one they chose (`linking`).
        """
        channels = self.channels
        if not message.platform or not message.chat_id:
            return
        async with self.session_factory() as session:
            platform, chat_id = await linking.preferred_chat(
                session, message.platform, message.chat_id, channels.keys()
            )
        channel = channels.get(platform)
        if channel is None:
            log.warning("no %s channel for a message to %s", platform, chat_ref(chat_id))
            return
        message_id = await channel.send_notice(chat_id, replace(message, platform=platform, chat_id=chat_id))
        if message.about is not None and message_id:  # so that its copy can be updated later
            async with self.session_factory() as session, session.begin():
                notices.record(session, message.about, platform, chat_id, message_id, self.clock())
