"""/start: consent (Decree 13/2023), then registration by invite or as a citizen."""

from __future__ import annotations

from typing import Any

from bot.core.errors import UserFacingError
from bot.core.messages import Choice, Outgoing
from bot.services.people import invites, people, units
from handlers import codes, texts
from handlers.answers import OneOf, Text
from handlers.flow import Context, Flow, FlowEngine, Step
from handlers.unit_answer import UnitAnswer
from storage.models import Invite, Role, Unit

CONSENT = (Choice("yes", texts.START["agree"]), Choice("no", texts.START["disagree"]))
NAME_MAX = 80


def _consent_prompt(ctx: Context, answers: dict[str, Any]) -> str:
    platform = texts.PLATFORM_NAMES.get(ctx.incoming.platform, ctx.incoming.platform)
    if answers.get("invite_id"):
        purpose = texts.START["purpose_invite"].format(
            role=texts.ROLE_NAMES[answers["role"]].lower(), unit=answers["unit_name"],
            does=texts.START["purpose_by_role"][answers["role"]],
        )
        stored = texts.START["stored_invite"].format(platform=platform)
    else:
        purpose = texts.START["purpose_citizen"]
        stored = texts.START["stored_citizen"].format(platform=platform)
    return texts.START["consent"].format(purpose=purpose, stored=stored)


async def _finish(ctx: Context, answers: dict[str, Any]) -> list[Outgoing]:
    if answers.get("consent") != "yes":
        return [Outgoing(texts.START["declined"])]
    inc = ctx.incoming
    if answers.get("invite_id"):
        invite = await invites.invite_by_id(ctx.session, answers["invite_id"])
        problem = _invite_problem(invite, ctx)
        if problem:
            return [Outgoing(texts.ERRORS[problem])]
        unit, role = invite.unit, invite.role
    else:
        unit = await units.unit_by_code(ctx.session, answers["home"]) if answers.get("home") else await _root_unit(ctx)
        role = Role.CITIZEN
    person = await people.register(
        ctx.session,
        platform=inc.platform,
        external_id=inc.user_id,
        chat_id=inc.chat_id,
        full_name=answers.get("full_name"),
        now=ctx.now,
    )
    if answers.get("invite_id"):
        await invites.redeem(ctx.session, invite, person.id, ctx.now)
    await people.grant_role(ctx.session, person, unit, role, granted_by=None, now=ctx.now)
    return await _welcome(ctx, person, unit, role)


def _invite_problem(invite: Invite | None, ctx: Context) -> str | None:
    """Re-check at the end of the flow: the code may have been used or expired meanwhile."""
    if invite is None:
        return "invite_unknown"
    if invite.used_at is not None:
        return "invite_used"
    if invite.expires_at <= ctx.now:
        return "invite_expired"
    return None


async def _root_unit(ctx: Context) -> Unit:
    root = await units.first_root(ctx.session)
    if root is None:
        raise UserFacingError("no_units")
    return root


async def _welcome(ctx: Context, person, unit: Unit, role: str) -> list[Outgoing]:
    actor = people.Actor(person=person, roles=tuple(await people.roles_of(ctx.session, person.id)))
    ctx.menu = ctx.catalogue.menu(actor)
    if role == Role.CITIZEN:
        greeting = texts.START["welcome_citizen"]
        if unit.parent_id is not None:
            greeting += "\n" + texts.START["home_chosen"].format(unit=unit.name)
    else:
        greeting = texts.START["welcome"].format(role=texts.ROLE_NAMES[role].lower(), unit=unit.name)
    return [Outgoing(f"{greeting}\n\n{ctx.catalogue.help_text(actor)}")]


async def _roots(ctx: Context, answers: dict[str, Any]) -> list[Unit]:
    return await units.roots(ctx.session)


def _below_root(ctx: Context, answers: dict[str, Any], unit: Unit) -> bool:
    """A citizen lives in a commune or a district, not in the province as a whole."""
    return unit.parent_id is not None


REGISTER = Flow(
    name="register",
    steps=(
        Step("consent", _consent_prompt, OneOf(CONSENT)),
        Step(
            "full_name",
            texts.START["ask_name"],
            Text(maximum=NAME_MAX, minimum=2),
            when=lambda a: a.get("consent") == "yes" and bool(a.get("invite_id")),
        ),
        Step("home", texts.START["ask_home"], UnitAnswer(_roots, accept=_below_root),
             when=lambda a: a.get("consent") == "yes" and not a.get("invite_id")),
    ),
    finish=_finish,
)


# --------------------------------------------------------------------------- where a citizen lives

async def _finish_home(ctx: Context, answers: dict[str, Any]) -> list[Outgoing]:
    if ctx.actor.person is None or not ctx.actor.has_role(Role.CITIZEN):
        raise UserFacingError("home_only_citizens")
    unit = await units.unit_by_code(ctx.session, answers["home"])
    await people.set_citizen_unit(ctx.session, ctx.actor.person, unit, now=ctx.now)
    return [Outgoing(texts.START["home_chosen"].format(unit=unit.name))]


HOME = Flow(
    name="home",
    steps=(Step("home", texts.START["ask_home"], UnitAnswer(_roots, accept=_below_root)),),
    finish=_finish_home,
)


async def home_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    """`/noio` (or "Đổi nơi ở" under /toi): a citizen chooses their commune again."""
    if not ctx.actor.has_role(Role.CITIZEN):
        raise UserFacingError("home_only_citizens")
    return await engine.start(ctx, HOME.name)


async def start_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    """`/start [code]`: join with an invite, or register as a citizen, or say hello again."""
    code = ctx.incoming.args[0] if ctx.incoming.args else None
    if code is None:
        if ctx.actor.registered:
            ctx.menu = ctx.catalogue.menu(ctx.actor)
            return [Outgoing(f"{texts.START['welcome_back']}\n\n{ctx.catalogue.help_text(ctx.actor)}")]
        return await engine.start(ctx, REGISTER.name)
    return await join_with_code(ctx, engine, code)


async def join_with_code(ctx: Context, engine: FlowEngine, code: str) -> list[Outgoing]:
    invite = await codes.look_up(ctx, lambda: invites.find_valid_invite(ctx.session, code, ctx.now))
    if ctx.actor.registered:
        person = ctx.actor.person
        await invites.redeem(ctx.session, invite, person.id, ctx.now)
        await people.grant_role(ctx.session, person, invite.unit, invite.role, granted_by=None, now=ctx.now)
        welcome = await _welcome(ctx, person, invite.unit, invite.role)
        added = texts.START["role_added"].format(role=texts.ROLE_NAMES[invite.role].lower(), unit=invite.unit.name)
        return [Outgoing(f"{added}\n\n{welcome[0].text}")]
    answers = {"invite_id": invite.id, "role": invite.role, "unit_name": invite.unit.name}
    return await engine.start(ctx, REGISTER.name, answers)
