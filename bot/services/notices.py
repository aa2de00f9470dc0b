"""Where each copy of an actionable notice went, so that when one admin acts the others see it.

The root records every notice that names its subject (`Outgoing.about`) with the id the
platform gave the message; a handler that settles the subject (a report accepted, content
approved, an urgent issue acknowledged) asks for the copies and has them edited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import NoticeMessage


@dataclass(frozen=True)
class Copy:
    """One sent copy of a notice: the chat it is in and the platform's id for the message."""

    platform: str
    chat_id: str
    message_id: str


def record(
    session: AsyncSession, subject: tuple[str, int], platform: str, chat_id: str, message_id: str, now: datetime
) -> None:
    """Remember one copy (a message the platform gave no id cannot be edited: not recorded)."""
    if not message_id:
        return
    kind, subject_id = subject
    session.add(NoticeMessage(kind=kind, subject_id=subject_id, platform=platform, chat_id=chat_id,
                              message_id=message_id, sent_at=now))


async def copies(
    session: AsyncSession, subject: tuple[str, int], *, except_chats: frozenset[tuple[str, str]] = frozenset()
) -> list[Copy]:
    """Every recorded copy of the notice about `subject`, but those in `except_chats`."""
    kind, subject_id = subject
    rows = await session.scalars(
        select(NoticeMessage)
        .where(NoticeMessage.kind == kind, NoticeMessage.subject_id == subject_id)
        .order_by(NoticeMessage.id)
    )
    return [Copy(r.platform, r.chat_id, r.message_id) for r in rows if (r.platform, r.chat_id) not in except_chats]


async def forget_chats(session: AsyncSession, chats: list[tuple[str, str]]) -> None:
    """Erasing a person erases the record of the notice copies sent to their chats too."""
    for platform, chat_id in chats:
        await session.execute(
            delete(NoticeMessage).where(NoticeMessage.platform == platform, NoticeMessage.chat_id == chat_id)
        )
