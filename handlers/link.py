"""/lienket (/link): one person on Telegram and Zalo, and where their messages go.

On the account they registered with, a person asks for a one-time code; on the other platform
they type `/lienket CODE` and that account joins the same person, with the same roles. Then,
and whenever they type /lienket again, they choose the platform that receives broadcasts,
reminders and notices (each only once). A bare code is not accepted here: bare codes are
invites, and the explicit command keeps the two apart.
"""

from __future__ import annotations

from typing import Any

from bot.core.formatting import local_time
from bot.core.messages import Choice, Outgoing
from bot.services.people import linking, people
from handlers import codes, texts
from handlers.answers import OneOf
from handlers.flow import Context, Flow, FlowEngine, Step
from handlers.link_texts import LINK


def _name(platform: str) -> str:
    return texts.PLATFORM_NAMES.get(platform, platform)


def _platform_choices(answers: dict[str, Any]) -> list[Choice]:
    return [Choice(platform, _name(platform)) for platform in answers["_platforms"]]


async def _finish(ctx: Context, answers: dict[str, Any]) -> list[Outgoing]:
    person = ctx.actor.person
    if person is None:  # erased (/xoadulieu) while the question waited
        return [Outgoing(texts.ERRORS["not_registered"])]
    await linking.set_preferred_platform(ctx.session, person, answers["platform"], now=ctx.now)
    return [Outgoing(LINK["platform_set"].format(platform=_name(answers["platform"])))]


CHOOSE_PLATFORM = Flow(
    name="link_platform",
    steps=(Step("platform", LINK["ask_platform"], OneOf(_platform_choices)),),
    finish=_finish,
)


async def link_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    """`/lienket`: a code to type on the other platform; `/lienket CODE`: link this account."""
    if ctx.incoming.args:
        return await _redeem(ctx, engine, "".join(ctx.incoming.args))
    person = ctx.actor.person
    if person is None:
        return [Outgoing(LINK["how_unregistered"])]
    platforms = sorted({identity.platform for identity in person.identities})
    if len(platforms) > 1:
        current = linking.preferred_identity(person.identities, person.preferred_platform)
        notice = LINK["already_both"].format(platform=_name(current.platform if current else platforms[0]))
        return await engine.start(ctx, CHOOSE_PLATFORM.name, {"_platforms": platforms}, notice=notice)
    code = await linking.create_code(ctx.session, person, now=ctx.now)
    other = "zalo" if ctx.incoming.platform == "telegram" else "telegram"
    expires = local_time(ctx.now + linking.LINK_TTL, ctx.config.tz_name)
    return [Outgoing(LINK["code"].format(code=code, other=_name(other), expires=expires))]


async def _redeem(ctx: Context, engine: FlowEngine, code: str) -> list[Outgoing]:
    inc = ctx.incoming
    person = await codes.look_up(ctx, lambda: linking.redeem(
        ctx.session, code, platform=inc.platform, external_id=inc.user_id, chat_id=inc.chat_id, now=ctx.now,
    ))
    actor = people.Actor(person=person, roles=tuple(await people.roles_of(ctx.session, person.id)))
    ctx.menu = ctx.catalogue.menu(actor)
    others = [identity for identity in person.identities if identity.platform != inc.platform]
    for identity in others:  # tell the person where they registered, in case it was not them
        ctx.notices.append(Outgoing(LINK["notice_linked"].format(platform=_name(inc.platform)),
                                    chat_id=identity.chat_id, platform=identity.platform))
    linked = LINK["linked"].format(
        platform=_name(inc.platform), name=person.full_name or LINK["you"],
        other=_name(others[0].platform) if others else _name(inc.platform),
    )
    platforms = sorted({identity.platform for identity in person.identities})
    return await engine.start(ctx, CHOOSE_PLATFORM.name, {"_platforms": platforms}, notice=linked)
