"""The composition root: builds every part once, starts them in order, stops them in reverse.

Nothing else creates engines, sessions factories, channels or servers; tests build a
`KetNoiApp` the same way `python -m bot run` does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels.telegram.channel import TelegramChannel
from bot.clock import Clock, utc_now
from bot.logs import install_redaction, uninstall_redaction
from bot.scheduler import ISSUES_JOB, REMINDERS_JOB, Scheduler
from bot.services.feedback import load_config as load_feedback_config
from bot.services.people import Actor
from bot.services.periods import Schedule
from bot.services.reminders import ReminderPolicy
from bot.settings import Settings
from bot.web import TELEGRAM_WEBHOOK_PATH, WebServer, build_web_app
from broadcasts.issue_alerts import IssueAlerts
from broadcasts.reminders import Reminders
from handlers.dispatch import Dispatcher, Response
from handlers.flow import HandlerConfig
from handlers.io import Outgoing
from handlers.registry import build_catalogue, build_dispatcher
from storage.db import make_engine, make_session_factory
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
    reminders: Reminders = field(init=False)
    issue_alerts: IssueAlerts = field(init=False)
    scheduler: Scheduler = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        install_redaction(s.secrets())  # before anything can log a URL with the token in it
        self.engine = make_engine(s.database_url)
        self.session_factory = make_session_factory(self.engine)
        catalogue = build_catalogue()
        config = HandlerConfig(
            conversation_ttl=timedelta(hours=s.conversation_ttl_hours),
            invite_ttl=timedelta(days=s.invite_ttl_days),
            tz_name=s.tz_name,
            schedule=Schedule.load(tz_name=s.tz_name),
        )
        self.dispatcher = build_dispatcher(self.session_factory, config, self.clock)
        self.reminders = Reminders(
            self.session_factory, self.notify, self.clock, config.schedule,
            ReminderPolicy.load(tz_name=s.tz_name),
        )
        self.scheduler = Scheduler(s.tz_name)
        self.scheduler.every(REMINDERS_JOB, s.reminder_tick_minutes, self.reminders.tick)
        self.issue_alerts = IssueAlerts(
            self.session_factory, self.notify, self.clock,
            timedelta(minutes=load_feedback_config().urgent_ack_minutes),
        )
        self.scheduler.every(ISSUES_JOB, s.reminder_tick_minutes, self.issue_alerts.tick)
        web_app = build_web_app()
        if s.telegram_bot_token is not None:
            self.telegram = TelegramChannel(
                token=s.telegram_bot_token.get_secret_value(),
                base_url=s.telegram_api_base_url,
                dispatcher=self.dispatcher,
                webhook_url=s.telegram_webhook_url,
                webhook_secret=s.telegram_webhook_secret.get_secret_value()
                if s.telegram_webhook_secret
                else None,
                default_menu=catalogue.menu(Actor(person=None)),
                notify=self.notify,
            )
            if s.telegram_webhook_url:
                path = urlsplit(s.telegram_webhook_url).path or TELEGRAM_WEBHOOK_PATH
                web_app.router.add_post(path, self.telegram.handle_webhook)
        if self.configure_web is not None:
            self.configure_web(web_app)
        self.web = WebServer(web_app, s.web_host, s.web_port)

    async def start(self) -> None:
        """Migrate, serve HTTP (webhooks must be reachable first), then connect the channels."""
        await upgrade(self.engine)
        await self.web.start()
        if self.telegram is not None:
            await self.telegram.start()
        else:
            log.warning("no TELEGRAM_BOT_TOKEN: Telegram is off")
        self.scheduler.start()

    async def stop(self) -> None:
        await self.scheduler.stop()
        if self.telegram is not None:
            await self.telegram.stop()
        await self.web.stop()
        await self.engine.dispose()
        uninstall_redaction()

    async def notify(self, message: Outgoing) -> None:
        """Send a message to someone other than the sender of the current event."""
        if message.platform == "telegram" and self.telegram is not None and message.chat_id:
            await self.telegram.deliver(message.chat_id, Response(replies=[message]))
