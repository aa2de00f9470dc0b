"""A unit's mailbox: the e-mail address where urgent issues, the weekly digest and the period's
Excel export go as well as to chat (`broadcasts.mail`).

An address is checked for its form (email-validator, no DNS look-up: a ministry's server may
not be reachable from here) and stored normalised, so one mailbox is always spelt one way.
"""

from __future__ import annotations

from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.people.people import Actor
from storage.models import Role, Unit


class InvalidAddress(ValueError):
    """Not an e-mail address; the message says why (for an operator)."""


def normalise_address(address: str) -> str:
    """The address as stored ("Ban@MTTQ.gov.vn" → "Ban@mttq.gov.vn"), or `InvalidAddress`.

    Stored in ASCII (a Vietnamese domain name as punycode), so that any mail server takes it; a
    name before the @ with diacritics would need SMTPUTF8, which few servers offer: refused."""
    try:
        checked = validate_email(address.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise InvalidAddress(str(exc)) from None
    return checked.ascii_email or checked.normalized


async def set_unit_email(
    session: AsyncSession, unit: Unit, address: str | None, *, now: datetime, actor_id: int | None = None
) -> str | None:
    """Give the unit a mailbox (None takes it away); returns the address as stored."""
    stored = normalise_address(address) if address is not None else None
    if stored != unit.email:
        unit.email, unit.updated_at = stored, now
        audit.record(session, "unit.email", now=now, actor_id=actor_id, target=f"unit:{unit.code}",
                     details={"set": stored is not None})
        await session.flush()
    return stored


def _scopes(actor: Actor) -> list[str]:
    """The subtrees (paths) whose mailboxes this person sets: a province admin's province."""
    return [u.path for u in actor.units_with(Role.PROVINCE_ADMIN)]


async def unit_in_scope(session: AsyncSession, actor: Actor, code: str) -> Unit | None:
    """The unit with this code if the person may set its mailbox, else None."""
    scopes = _scopes(actor)
    if not scopes:
        return None
    return await session.scalar(
        select(Unit).where(Unit.code == code.strip(), or_(*(Unit.path.startswith(p, autoescape=True) for p in scopes)))
    )


async def mailboxes_in_scope(session: AsyncSession, actor: Actor, limit: int = 50) -> list[Unit]:
    """The units with a mailbox in the person's provinces, in tree order."""
    scopes = _scopes(actor)
    if not scopes:
        return []
    return list((await session.execute(
        select(Unit).where(Unit.email.is_not(None), or_(*(Unit.path.startswith(p, autoescape=True) for p in scopes)))
        .order_by(Unit.level, Unit.path).limit(limit)
    )).scalars())
