"""Linking a unit's Facebook Page: the token sealed on the way in, opened only to publish.

A Page link is a `LinkedChat` (platform "facebook", kind "page", chat id = the Page id) plus its
`PageToken`. Broadcasts whose audience includes `pages` reach every active link of the chosen
units' subtrees. A token Facebook refuses (expired, revoked) *breaks* the link: it stops
receiving until a province admin relinks it with a new token. Tokens never leave this module
unsealed except through `token_of`, for the publisher.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import UserFacingError
from bot.services import audit
from bot.services.pages import PLATFORM
from bot.services.pages.sealing import TokenBox
from bot.services.people.reachable import Reachable, reachable
from bot.services.people.units import get_unit_by_code, province_of
from storage.models import LinkedChat, LinkedChatKind, PageToken, Role, Unit

_PAGE_ID = re.compile(r"^\d{1,64}$")
MAX_TOKEN = 2000  # Page tokens are a few hundred characters


@dataclass(frozen=True)
class PageLink:
    """One linked Page as people see it (never with its token)."""

    page_id: str
    title: str | None
    unit_code: str | None
    unit_name: str | None
    active: bool
    broken_at: datetime | None
    broken_reason: str | None
    stopped_at: datetime | None = None  # when the link stopped receiving (broken, or switched off otherwise)

    @property
    def broken(self) -> bool:
        """The link receives nothing: Facebook refused its token, or the outbox switched it off
        (a Page it could not reach). Never shown as active: it gets no broadcast."""
        return self.broken_at is not None or not self.active


def check_page_id(page_id: str) -> str:
    page_id = page_id.strip()
    if not _PAGE_ID.match(page_id):
        raise UserFacingError("page_bad_id", page_id=page_id[:40])
    return page_id


def check_token(token: str) -> str:
    token = token.strip()
    if not token or len(token) > MAX_TOKEN or any(c.isspace() for c in token):
        raise UserFacingError("page_bad_token")
    return token


async def link_page(
    session: AsyncSession,
    *,
    unit: Unit,
    page_id: str,
    token: str,
    box: TokenBox,
    now: datetime,
    title: str | None = None,
    actor_id: int | None = None,
) -> PageLink:
    """Link (or relink, with a new token) a Page to a unit; a broken link is mended."""
    page_id, token = check_page_id(page_id), check_token(token)
    chat = await _chat(session, page_id)
    if chat is None:
        chat = LinkedChat(platform=PLATFORM, chat_id=page_id, kind=LinkedChatKind.PAGE, added_at=now)
        session.add(chat)
    chat.kind, chat.unit_id, chat.unit, chat.active, chat.removed_at = LinkedChatKind.PAGE, unit.id, unit, True, None
    chat.title = title or chat.title
    await session.flush()
    sealed = box.seal(token)
    row = await session.get(PageToken, chat.id)
    if row is None:
        session.add(PageToken(linked_chat_id=chat.id, token=sealed, linked_by=actor_id, updated_at=now))
    else:
        row.token, row.linked_by, row.updated_at, row.broken_at, row.broken_reason = sealed, actor_id, now, None, None
    audit.record(session, "page.link", now=now, actor_id=actor_id, target=f"chat:{chat.id}",
                 details={"unit": unit.code, "page_id": page_id})  # never the token
    await session.flush()
    return PageLink(page_id, chat.title, unit.code, unit.name, True, None, None)


async def unlink_page(session: AsyncSession, page_id: str, *, now: datetime, actor_id: int | None = None) -> bool:
    """Forget a Page's token and unit; its past posts stay in the ledger. False if it was not linked."""
    chat = await _chat(session, check_page_id(page_id))
    if chat is None or await session.get(PageToken, chat.id) is None:
        return False
    await session.execute(delete(PageToken).where(PageToken.linked_chat_id == chat.id))
    chat.active, chat.removed_at, chat.unit_id = False, now, None
    audit.record(session, "page.unlink", now=now, actor_id=actor_id, target=f"chat:{chat.id}",
                 details={"page_id": chat.chat_id})
    return True


async def list_pages(session: AsyncSession, under: Sequence[Unit] = ()) -> list[PageLink]:
    """Every linked Page (in the subtrees of `under`, if given), by unit path then Page id."""
    query = (
        select(LinkedChat, PageToken, Unit)
        .join(PageToken, PageToken.linked_chat_id == LinkedChat.id)
        .outerjoin(Unit, Unit.id == LinkedChat.unit_id)
        .where(LinkedChat.platform == PLATFORM)
        .order_by(Unit.path, LinkedChat.chat_id)
    )
    if under:
        query = query.where(or_(*(Unit.path.startswith(u.path, autoescape=True) for u in under)))
    rows = (await session.execute(query)).tuples()
    return [_link(chat, token, unit) for chat, token, unit in rows]


async def token_of(session: AsyncSession, page_id: str, box: TokenBox) -> str | None:
    """The Page's token, opened, if the link is active (None: unlinked or broken)."""
    sealed = await session.scalar(
        select(PageToken.token)
        .join(LinkedChat, LinkedChat.id == PageToken.linked_chat_id)
        .where(LinkedChat.platform == PLATFORM, LinkedChat.chat_id == page_id, LinkedChat.active.is_(True))
    )
    return box.open(sealed) if sealed is not None else None


async def mark_broken(session: AsyncSession, page_id: str, reason: str, *, now: datetime) -> PageLink | None:
    """Facebook refused the token: the link stops receiving. The link, the first time only."""
    chat = await _chat(session, page_id)
    row = await session.get(PageToken, chat.id) if chat is not None else None
    if chat is None or row is None or row.broken_at is not None:
        return None
    row.broken_at, row.broken_reason = now, reason[:200]
    chat.active, chat.removed_at = False, now
    audit.record(session, "page.broken", now=now, actor_id=None, target=f"chat:{chat.id}",
                 details={"page_id": page_id, "reason": reason[:200]})
    await session.flush()
    unit = chat.unit
    return _link(chat, row, unit)


async def admins_to_tell(session: AsyncSession, link: PageLink) -> list[Reachable]:
    """The province admins of the Page's province (the root of its unit's path), each once."""
    if link.unit_code is None:
        return []
    unit = await get_unit_by_code(session, link.unit_code)
    if unit is None:
        return []
    province = await province_of(session, unit)
    if province is None:
        return []
    return await reachable(session, roles=(Role.PROVINCE_ADMIN,), unit_ids=[province.id])


async def _chat(session: AsyncSession, page_id: str) -> LinkedChat | None:
    return await session.scalar(
        select(LinkedChat).where(LinkedChat.platform == PLATFORM, LinkedChat.chat_id == page_id)
    )


def _link(chat: LinkedChat, token: PageToken, unit: Unit | None) -> PageLink:
    return PageLink(
        chat.chat_id, chat.title, unit.code if unit else None, unit.name if unit else None,
        chat.active, token.broken_at, token.broken_reason,
        None if chat.active else token.broken_at or chat.removed_at,
    )
