"""Signing in to the web console from the chat: one-time links and browser sessions.

No passwords: an admin types /web in the chat (where they already are who they are) and gets
a link valid for ten minutes, once, for them alone. Opening it starts a browser session that
expires when idle. Tokens are random (`secrets`), compared through their SHA-256 in the database
(a unique index does the constant-time part: the lookup is by hash, never by the secret), and
only hashes are stored. Every sign-in, refusal and sign-out is audited.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import UserFacingError
from bot.services import audit
from bot.services.people.people import ADMIN_ROLES, Actor, actor_of_person
from storage.models import ConsoleLink, ConsoleSession, rows_changed

LINK_TTL = timedelta(minutes=10)
SESSION_MAX_AGE = timedelta(hours=12)  # even a busy session signs in again every working day


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def may_use_console(actor: Actor) -> bool:
    """The console is the province's and the units' admins' desk."""
    return actor.has_role(*ADMIN_ROLES)


async def issue_link(session: AsyncSession, actor: Actor, *, now: datetime) -> str:
    """A new sign-in token for the actor (the caller makes it a URL)."""
    if not may_use_console(actor):
        raise UserFacingError("not_allowed")
    token = secrets.token_urlsafe(32)
    session.add(ConsoleLink(token_hash=_hash(token), person_id=actor.person_id, created_at=now,
                            expires_at=now + LINK_TTL, used_at=None))
    audit.record(session, "console.link", now=now, actor_id=actor.person_id)
    return token


@dataclass(frozen=True)
class SignedIn:
    """A browser session: the cookie's token (given to the browser once) and its CSRF token."""

    token: str
    csrf_token: str
    person_id: int


async def redeem_link(session: AsyncSession, token: str, *, now: datetime) -> SignedIn | None:
    """Spend a link: a new session, or None when the link is unknown, used or expired.

    The UPDATE that marks the link used is the guard: of two browsers opening it at once, one wins.
    """
    link = (await session.execute(select(ConsoleLink).where(ConsoleLink.token_hash == _hash(token)))).scalar_one_or_none()
    if link is None or link.used_at is not None or link.expires_at <= now:
        audit.record(session, "console.link_refused", now=now, actor_id=link.person_id if link else None,
                     details={"why": "unknown" if link is None else "used" if link.used_at else "expired"})
        return None
    spent = await session.execute(
        update(ConsoleLink).where(ConsoleLink.id == link.id, ConsoleLink.used_at.is_(None)).values(used_at=now)
    )
    if rows_changed(spent) != 1:
        return None
    actor = await actor_of_person(session, link.person_id)
    if not may_use_console(actor):  # the role was taken away since the link was given
        audit.record(session, "console.link_refused", now=now, actor_id=link.person_id, details={"why": "role"})
        return None
    signed_in = SignedIn(secrets.token_urlsafe(32), secrets.token_urlsafe(32), link.person_id)
    session.add(ConsoleSession(token_hash=_hash(signed_in.token), person_id=link.person_id,
                               csrf_token=signed_in.csrf_token, created_at=now, last_seen_at=now, ended_at=None))
    audit.record(session, "console.sign_in", now=now, actor_id=link.person_id)
    return signed_in


@dataclass(frozen=True)
class Visit:
    """Who a request comes from: their actor (roles loaded) and their session's CSRF token."""

    actor: Actor
    csrf_token: str
    session_id: int


async def resume(session: AsyncSession, token: str, *, now: datetime, idle: timedelta) -> Visit | None:
    """The session behind a cookie, touched; None when unknown, signed out, idle or too old, or
    when the person is no longer an admin."""
    row = (await session.execute(
        select(ConsoleSession).where(ConsoleSession.token_hash == _hash(token))
    )).scalar_one_or_none()
    if row is None or row.ended_at is not None:
        return None
    if row.last_seen_at + idle <= now or row.created_at + SESSION_MAX_AGE <= now:
        row.ended_at = now
        return None
    actor = await actor_of_person(session, row.person_id)
    if not may_use_console(actor):
        row.ended_at = now
        return None
    row.last_seen_at = now
    return Visit(actor, row.csrf_token, row.id)


async def set_flash(session: AsyncSession, visit: Visit, message: str) -> None:
    """What an action said, for the page the browser is sent to next (post, redirect, get)."""
    await session.execute(update(ConsoleSession).where(ConsoleSession.id == visit.session_id).values(flash=message))


async def take_flash(session: AsyncSession, visit: Visit) -> str | None:
    """The message left by the last action, once."""
    row = await session.get(ConsoleSession, visit.session_id)
    if row is None or row.flash is None:
        return None
    message, row.flash = row.flash, None
    return message


async def sign_out(session: AsyncSession, visit: Visit, *, now: datetime) -> None:
    await session.execute(update(ConsoleSession).where(ConsoleSession.id == visit.session_id).values(ended_at=now))
    audit.record(session, "console.sign_out", now=now, actor_id=visit.actor.person_id)


def same_token(given: str | None, expected: str) -> bool:
    """A form's CSRF token against the session's, in constant time."""
    return given is not None and secrets.compare_digest(given.encode(), expected.encode())
