"""Raising unacknowledged urgent issues again (a scheduled job calls `tick`).

The feature decides who is alerted about which issue; how the alert reads (its wording and
buttons) belongs to the conversations floor, so the composition root hands in `render`
(`handlers.feedback.issue_realert`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.log_ref import chat_ref
from bot.core.messages import Outgoing
from bot.services.listening import feedback as service
from bot.services.people.reachable import Reachable
from storage.models import UrgentIssue

log = logging.getLogger(__name__)
RenderRealert = Callable[[Reachable, UrgentIssue], Outgoing]  # one alert to one admin's account


class IssueAlerts:
    """Each open issue not acknowledged within the configured time is alerted again, once per window."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        notify: Callable[[Outgoing], Awaitable[None]],
        clock: Callable[[], datetime],
        ack_within: timedelta,
        render: RenderRealert,
    ) -> None:
        self.session_factory = session_factory
        self.render = render
        self.notify = notify
        self.clock = clock
        self.ack_within = ack_within

    async def tick(self) -> int:
        now = self.clock()
        messages: list[Outgoing] = []
        async with self.session_factory() as session, session.begin():
            for issue in await service.issues_to_realert(session, now, self.ack_within):
                messages += [self.render(i, issue) for i in await service.alert_recipients(session, issue.unit)]
        for message in messages:
            try:
                await self.notify(message)
            except Exception:
                log.exception("urgent re-alert to %s:%s failed", message.platform, chat_ref(message.chat_id))
        return len(messages)
