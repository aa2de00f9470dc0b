"""/help, /me and /forget: what a person may do, what we keep about them, and erasing it."""

from __future__ import annotations

from typing import Any

from bot.core.buttons import command_button
from bot.core.formatting import local_time
from bot.core.messages import Choice, Outgoing
from bot.services.people import people
from handlers import texts
from handlers.answers import OneOf
from handlers.flow import Context, Flow, FlowEngine, Step
from storage.models import Role


async def help_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    return [Outgoing(ctx.catalogue.help_text(ctx.actor))]


async def me_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    """Show everything stored about the person (Decree 13/2023: the right to know)."""
    person = ctx.actor.person
    lines = [texts.ME["title"]]
    lines.append(texts.ME["name"].format(name=person.full_name) if person.full_name else texts.ME["no_name"])
    for identity in person.identities:
        platform = texts.PLATFORM_NAMES.get(identity.platform, identity.platform)
        lines.append(texts.ME["account"].format(platform=platform, external_id=identity.external_id))
    for assignment in ctx.actor.roles:
        lines.append(texts.ME["role"].format(role=texts.ROLE_NAMES[assignment.role], unit=assignment.unit.name))
    lines.append(texts.ME["consent"].format(when=local_time(person.consent_at, ctx.config.tz_name)))
    lines.append("")
    lines.append(texts.ME["footer"])
    if ctx.actor.has_role(Role.CITIZEN):  # a citizen's place is theirs to change
        return [Outgoing("\n".join(lines), choices=(Choice(command_button("noio"), texts.ME["change_home"]),))]
    return [Outgoing("\n".join(lines))]


async def _finish_forget(ctx: Context, answers: dict[str, Any]) -> list[Outgoing]:
    if answers["confirm"] != "yes" or ctx.actor.person is None:
        return [Outgoing(texts.FORGET["kept"])]
    await people.forget(ctx.session, ctx.actor.person, now=ctx.now)
    ctx.menu = ctx.catalogue.menu(people.Actor(person=None))
    return [Outgoing(texts.FORGET["done"])]


FORGET = Flow(
    name="forget",
    steps=(
        Step(
            "confirm",
            texts.FORGET["confirm"],
            OneOf((Choice("yes", texts.FORGET["yes"]), Choice("no", texts.FORGET["no"]))),
        ),
    ),
    finish=_finish_forget,
)


async def forget_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    return await engine.start(ctx, FORGET.name)
