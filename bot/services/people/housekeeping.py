"""Forgetting what is no longer needed: old update ids, finished conversations, old wrong codes.

Update ids only guard against re-delivery, which Telegram stops after 24 hours; finished
conversations hold no answers; a wrong code tried counts for an hour (`code_tries`). Keeping
any of them longer would only grow the database, and the tries name platform accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.people import code_tries
from storage.models import Conversation, ConversationStatus, ProcessedUpdate, rows_changed

UPDATE_IDS_KEPT = timedelta(days=7)
FINISHED_CONVERSATIONS_KEPT = timedelta(days=30)


@dataclass(frozen=True)
class Pruned:
    update_ids: int
    conversations: int
    code_tries: int


async def prune(session: AsyncSession, now: datetime) -> Pruned:
    updates = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < now - UPDATE_IDS_KEPT)
    )
    conversations = await session.execute(
        delete(Conversation).where(
            Conversation.status != ConversationStatus.WAITING,
            Conversation.updated_at < now - FINISHED_CONVERSATIONS_KEPT,
        )
    )
    tries = await code_tries.prune(session, now)
    return Pruned(rows_changed(updates), rows_changed(conversations), tries)
