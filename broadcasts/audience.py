"""Who is in a broadcast's audience, read in pages so that no audience is ever loaded whole.

An audience is people holding some roles anywhere in some unit subtrees (a subtree is one
`LIKE '/86/29641/%'` on the materialized path), plus, if asked, the groups and channels linked
to units of those subtrees. A person is written to once however many matching roles they
hold, and someone with a Telegram and a Zalo account only on the account they prefer: the
preferred platform if reachable, else the oldest reachable account (the rule of
`bot.services.people.linking.preferred_identity`). The pages are built from the SQL pieces of
`bot.services.people.reachable`, the same rule every notice and reminder uses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Exists, Select, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.pages import PLATFORM as PAGE_PLATFORM
from bot.services.people.reachable import holds_role, written_to
from bot.services.people.units import name_sort_key
from broadcasts import store
from broadcasts.shares import SHARER_ROLES
from storage.models import DeliveryStatus, Identity, LinkedChat, Person, RoleAssignment, Unit

Page = Callable[[int, int], "Select[Any]"]  # (after id, limit) -> one page of recipients, by id


@dataclass(frozen=True)
class Audience:
    """Who receives a broadcast: people holding `roles` in the subtrees of `units`, plus (if asked)
    the groups and channels, and the Facebook Pages, linked to units of those subtrees."""

    units: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    include_linked_chats: bool = False
    include_pages: bool = False  # the units' linked Facebook Pages

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "units": list(self.units),
            "roles": list(self.roles),
            "include_linked_chats": self.include_linked_chats,
        }
        if self.include_pages:
            data["include_pages"] = True
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        return cls(
            units=tuple(data.get("units", ())),
            roles=tuple(data.get("roles", ())),
            include_linked_chats=bool(data.get("include_linked_chats", False)),
            include_pages=bool(data.get("include_pages", False)),
        )


async def insert_deliveries(
    session: AsyncSession, broadcast_id: int, audience: Audience, *, now: datetime, batch_size: int,
    offer_share: bool = False,
) -> None:
    """One pending delivery per chat of the audience, inserted page by page (keyset on id).

    With `offer_share`, the copies of officers and unit admins offer "shared into Zalo groups"."""
    paths = await _unit_paths(session, audience.units)
    if audience.roles and paths:
        page = _identity_page(audience.roles, paths, SHARER_ROLES if offer_share else ())
        await _insert_pages(session, broadcast_id, page, "identity_id", now, batch_size)
    if audience.include_linked_chats and paths:
        await _insert_pages(
            session, broadcast_id, _linked_chat_page(paths, pages=False), "linked_chat_id", now, batch_size
        )
    if audience.include_pages and paths:
        await _insert_pages(
            session, broadcast_id, _linked_chat_page(paths, pages=True), "linked_chat_id", now, batch_size
        )


async def _insert_pages(session: AsyncSession, broadcast_id: int, page: Page, key: str, now: datetime, batch_size: int) -> None:
    last_id = 0
    while True:
        rows = (await session.execute(page(last_id, batch_size))).all()
        if not rows:
            return
        await store.insert_ignoring_duplicates(
            session,
            [
                {
                    "broadcast_id": broadcast_id,
                    "platform": row.platform,
                    "chat_id": row.chat_id,
                    key: row.id,
                    "status": DeliveryStatus.PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "offers_share": bool(getattr(row, "offers_share", False)),
                }
                for row in rows
            ],
        )
        last_id = rows[-1].id


def _in_subtrees(paths: Sequence[str]) -> ColumnElement[bool]:
    return or_(*(Unit.path.like(_like_prefix(path), escape="\\") for path in paths))


def _audience_member(roles: Sequence[str], paths: Sequence[str]) -> Exists:
    """The identity's person holds one of `roles` somewhere in the subtrees (correlated EXISTS)."""
    return holds_role(roles, RoleAssignment.unit_id == Unit.id, _in_subtrees(paths))


def _identity_page(roles: Sequence[str], paths: Sequence[str], sharers: Sequence[str] = ()) -> Page:
    """Recipients by identity; `offers_share` true for those holding one of `sharers` anywhere."""
    offers = holds_role(sharers) if sharers else false()

    def page(after: int, limit: int) -> Select[Any]:
        return (
            select(Identity.id, Identity.platform, Identity.chat_id, offers.label("offers_share"))
            .join(Person, Person.id == Identity.person_id)
            .where(
                Identity.id > after,
                _audience_member(roles, paths),
                written_to(),
            )
            .order_by(Identity.id)
            .limit(limit)
        )

    return page


def _is_page(pages: bool) -> ColumnElement[bool]:
    """Facebook Pages (`pages`) or the groups and channels the bot sits in (not `pages`)."""
    return LinkedChat.platform == PAGE_PLATFORM if pages else LinkedChat.platform != PAGE_PLATFORM


def _linked_chat_page(paths: Sequence[str], *, pages: bool) -> Page:
    def page(after: int, limit: int) -> Select[Any]:
        return (
            select(LinkedChat.id, LinkedChat.platform, LinkedChat.chat_id)
            .join(Unit, LinkedChat.unit_id == Unit.id)
            .where(LinkedChat.id > after, LinkedChat.active.is_(True), _is_page(pages), _in_subtrees(paths))
            .order_by(LinkedChat.id)
            .limit(limit)
        )

    return page


async def _unit_paths(session: AsyncSession, codes: Sequence[str]) -> list[str]:
    if not codes:
        return []
    result = await session.scalars(select(Unit.path).where(Unit.code.in_(list(codes))))
    return sorted(set(result))


def _like_prefix(path: str) -> str:
    escaped = path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


@dataclass(frozen=True)
class UnitChoice:
    """A unit an audience may name: its code, name and depth under the chooser's root."""

    code: str
    name: str
    depth: int


async def unit_choices(session: AsyncSession, roots: Sequence[Unit]) -> list[UnitChoice]:
    """Every unit of these subtrees, each under its parent, siblings by name (for a picker).

    One query per root over (code, name, parent, level); a province has a few hundred units."""
    choices: list[UnitChoice] = []
    for root in roots:
        rows = (
            await session.execute(
                select(Unit.id, Unit.code, Unit.name, Unit.parent_id, Unit.level).where(
                    Unit.path.like(_like_prefix(root.path), escape="\\")
                )
            )
        ).all()
        under: dict[int | None, list[Any]] = {}
        for row in rows:
            under.setdefault(row.parent_id, []).append(row)
        stack = [(row, 0) for row in rows if row.id == root.id]
        while stack:
            row, depth = stack.pop()
            choices.append(UnitChoice(row.code, row.name, depth))
            kids = sorted(under.get(row.id, []), key=lambda kid: name_sort_key(kid.name), reverse=True)
            stack.extend((kid, depth + 1) for kid in kids)
    return choices


async def count(session: AsyncSession, audience: Audience) -> int:
    """How many chats the audience holds now (unreachable people and inactive chats left out)."""
    paths = await _unit_paths(session, audience.units)
    if not paths:
        return 0
    total = 0
    if audience.roles:
        total += (
            await session.scalar(
                select(func.count(Identity.id))
                .join(Person, Person.id == Identity.person_id)
                .where(
                    _audience_member(audience.roles, paths),
                    written_to(),
                )
            )
            or 0
        )
    for wanted, pages in ((audience.include_linked_chats, False), (audience.include_pages, True)):
        if wanted:
            total += (
                await session.scalar(
                    select(func.count(LinkedChat.id))
                    .join(Unit, LinkedChat.unit_id == Unit.id)
                    .where(LinkedChat.active.is_(True), _is_page(pages), _in_subtrees(paths))
                )
                or 0
            )
    return total
