"""/web (/quanly): the admin's one-time link to the web console, given where they already are who
they are. The link signs in once, within ten minutes; the console says the rest."""

from __future__ import annotations

from bot.core.messages import Outgoing
from bot.services.people import console_access
from handlers import texts
from handlers.flow import Context, FlowEngine

COMMAND = "quanly"


async def web_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    if ctx.config.console_url is None:
        return [Outgoing(texts.DESK["off"])]
    token = await console_access.issue_link(ctx.session, ctx.actor, now=ctx.now)
    minutes = int(console_access.LINK_TTL.total_seconds() // 60)
    link = f"{ctx.config.console_url}?ma={token}"
    return [Outgoing(texts.DESK["link"].format(link=link, minutes=minutes))]
