"""/invite (/moi): an admin creates a single-use invite for a role at a unit in their subtree.

The answer is the code, a Telegram deep link and a QR code image to print for a meeting. The web
console creates many at once with `create_for_units` (the same service, checks and audit) and
prints them with `handlers.invite_sheet`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import segno

from bot.core.errors import UserFacingError
from bot.core.formatting import local_time
from bot.core.messages import Choice, Outgoing, Photo
from bot.services.people import invites
from bot.services.people.people import ADMIN_ROLES
from bot.services.people.units import get_unit_by_code, province_of, unit_by_code
from handlers import texts
from handlers.answers import OneOf
from handlers.flow import Context, Flow, FlowEngine, HandlerConfig, Step
from handlers.unit_answer import UNIT_PREFIX, UnitAnswer
from storage.models import Role, Unit


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


def qr_png(data: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()


def _role_choices(answers: dict[str, Any]) -> list[Choice]:
    return [Choice(role, texts.ROLE_NAMES[role]) for role in answers["_roles"]]


def _unit_choices(answers: dict[str, Any]) -> list[Choice]:
    return [Choice(UNIT_PREFIX + code, name) for code, name in answers["_units"]]


async def _finish(ctx: Context, answers: dict[str, Any]) -> list[Outgoing]:
    role = answers["role"]
    code = answers.get("unit") or answers["_units"][0][0]
    unit = await unit_by_code(ctx.session, code)
    if role == Role.PROVINCE_ADMIN:
        unit = await _root_of(ctx, unit)
    (invite_code,) = await invites.create_invites(
        ctx.session, actor=ctx.actor, unit=unit, role=role, now=ctx.now, ttl=ctx.config.invite_ttl
    )
    role_name = texts.ROLE_NAMES[role].lower()
    link = invite_link(ctx.config, invite_code)
    how = (texts.INVITE["how_telegram"].format(link=link) if link else "") + (
        texts.INVITE["how_zalo"] if "zalo" in ctx.config.platforms else ""
    )
    text = texts.INVITE["created"].format(
        role=role_name, unit=unit.name, code=invite_code, how=how,
        expires=local_time(ctx.now + ctx.config.invite_ttl, ctx.config.tz_name),
    )
    # With Telegram the QR code opens the bot with the code; on Zalo alone it carries the code itself.
    caption = texts.INVITE["qr_caption" if link else "qr_caption_code"].format(role=role_name, unit=unit.name)
    return [
        Outgoing(text),
        Outgoing(caption, photo=Photo(qr_png(link or invite_code), file_name=f"moi-{invite_code}.png")),
    ]


async def _root_of(ctx: Context, unit: Unit) -> Unit:
    root = await province_of(ctx.session, unit)
    assert root is not None  # a unit's path starts at its province, which exists
    return root


INVITE = Flow(
    name="invite",
    steps=(
        Step("role", texts.INVITE["ask_role"], OneOf(_role_choices)),
        Step(
            "unit",
            texts.INVITE["ask_unit"],
            UnitAnswer(
                lambda ctx, answers: ctx.actor.units_with(*ADMIN_ROLES),
                accept=lambda ctx, answers, unit: answers["role"] in invites.grantable_roles(ctx.actor, unit),
                offered=_unit_choices,
            ),
            when=lambda a: a.get("role") != Role.PROVINCE_ADMIN,
        ),
    ),
    finish=_finish,
)


async def invite_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    """Offer the roles this admin may grant somewhere in their subtree."""
    admin_units = ctx.actor.units_with(*ADMIN_ROLES)
    if ctx.actor.has_role(Role.PROVINCE_ADMIN):
        offered = [Role.PROVINCE_ADMIN, Role.UNIT_ADMIN, Role.OFFICER, Role.MEMBER]
    else:  # a unit admin; admins only strictly below their own unit, checked at the unit step
        offered = [Role.UNIT_ADMIN, Role.OFFICER, Role.MEMBER]
    ordered = [r.value for r in offered]
    answers = {"_roles": ordered, "_units": [[u.code, u.name] for u in admin_units]}
    return await engine.start(ctx, INVITE.name, answers)


# --------------------------------------------------------------------------- many at once (web console)

BULK_ROLES = (Role.UNIT_ADMIN, Role.OFFICER, Role.MEMBER)  # a province admin is invited one at a time, /moi
MAX_PER_UNIT = 20


@dataclass(frozen=True)
class Issued:
    """One invite just created: shown once (its code is stored only as a hash)."""

    unit_code: str
    unit_name: str
    role: str
    code: str
    link: str | None  # the Telegram deep link, when Telegram runs


def invite_link(config: HandlerConfig, code: str) -> str | None:
    """What a QR code opens: the bot on Telegram with the code, when Telegram runs."""
    return deep_link(config.bot_username, code) if "telegram" in config.platforms else None


async def create_for_units(ctx: Context, unit_codes: Sequence[str], role: str, per_unit: int = 1) -> list[Issued]:
    """`per_unit` invites for `role` at each unit, under the rules of /moi (the same service checks
    the admin may grant the role there, and audits each unit's invites)."""
    if role not in BULK_ROLES or not unit_codes:
        raise UserFacingError("not_allowed")
    if not 1 <= per_unit <= MAX_PER_UNIT or len(unit_codes) * per_unit > invites.MAX_INVITES_PER_CALL:
        raise UserFacingError("invite_count", maximum=invites.MAX_INVITES_PER_CALL)
    issued: list[Issued] = []
    for code in dict.fromkeys(unit_codes):
        unit = await get_unit_by_code(ctx.session, code)
        if unit is None:
            raise UserFacingError("not_allowed")
        for invite_code in await invites.create_invites(
            ctx.session, actor=ctx.actor, unit=unit, role=role, now=ctx.now, ttl=ctx.config.invite_ttl, count=per_unit
        ):
            issued.append(Issued(unit.code, unit.name, role, invite_code, invite_link(ctx.config, invite_code)))
    return issued


def bulk_created(issued: Sequence[Issued], ctx: Context) -> Outgoing:
    """What the admin is told: how many invites, for how many units, until when."""
    return Outgoing(texts.INVITE["bulk_created"].format(
        count=len(issued), units=len({i.unit_code for i in issued}),
        expires=local_time(ctx.now + ctx.config.invite_ttl, ctx.config.tz_name),
    ))
