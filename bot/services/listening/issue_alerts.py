"""Raising unacknowledged urgent issues again (a scheduled job calls `tick`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.messages import Outgoing
from bot.services.listening import feedback as service
from handlers import feedback_texts as t
from handlers.feedback import issue_alert

log = logging.getLogger(__name__)


class IssueAlerts:
    """Each open issue not acknowledged within the configured time is alerted again, once per window."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        notify: Callable[[Outgoing], Awaitable[None]],
        clock: Callable[[], datetime],
        ack_within: timedelta,
    ) -> None:
        self.session_factory = session_factory
        self.notify = notify
        self.clock = clock
        self.ack_within = ack_within

    async def tick(self) -> int:
        now = self.clock()
        messages: list[Outgoing] = []
        async with self.session_factory() as session, session.begin():
            for issue in await service.issues_to_realert(session, now, self.ack_within):
                text = t.URGENT["realert"].format(
                    count=issue.alerts + 1, reference=issue.reference, unit=issue.unit.name, text=issue.text
                )
                messages += [issue_alert(i, issue, text) for i in await service.alert_recipients(session, issue.unit)]
        for message in messages:
            try:
                await self.notify(message)
            except Exception:
                log.exception("urgent re-alert to %s:%s failed", message.platform, message.chat_id)
        return len(messages)
