"""/fanpage (/pages): province admins list, link and unlink their units' Facebook Pages.

`/fanpage` lists the Pages of the admin's province; `/fanpage them <unit> <page id> <token>`
links one (only in a private chat: the token is a secret), `/fanpage xoa <page id>` unlinks it.
The token is sealed (`bot.services.pages.sealing`) before it is stored and never shown again.
The admin's message with the token is deleted where the platform lets the bot (Telegram, in a
private chat: `Outgoing.if_deleted`); elsewhere (Zalo), or if that fails, they are asked to.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.messages import Outgoing
from bot.services.pages import links
from bot.services.people.units import get_unit_by_code, is_in_subtree
from handlers.flow import Context, FlowEngine
from handlers.page_texts import PAGES as T
from storage.models import Role

ADD, REMOVE = ("them", "thêm", "add"), ("xoa", "xóa", "remove")


async def pages_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    provinces = ctx.actor.units_with(Role.PROVINCE_ADMIN)
    if not provinces:
        return [Outgoing(T["not_allowed"])]
    args = ctx.incoming.args
    action = args[0].lower() if args else ""
    if action in ADD:
        return await _add(ctx, args[1:])
    if action in REMOVE and len(args) == 2:
        return await _remove(ctx, args[1])
    if action:
        return [Outgoing(T["usage"])]
    return [Outgoing(await _listing(ctx)), Outgoing(T["usage"])]


async def _listing(ctx: Context) -> str:
    found = await links.list_pages(ctx.session, ctx.actor.units_with(Role.PROVINCE_ADMIN))
    if not found:
        return T["none"]
    tz = ZoneInfo(ctx.config.tz_name)
    lines = [T["list_head"]]
    for link in found:
        if not link.broken:
            state = T["active"]
        elif link.stopped_at is None:
            state = T["stopped_state"]
        else:
            state = T["broken_state"].format(at=f"{link.stopped_at.astimezone(tz):%H:%M %d/%m/%Y}")
        lines.append(T["list_line"].format(title=link.title or link.page_id, page_id=link.page_id,
                                           unit=link.unit_name or "—", state=state))
    return "\n".join(lines)


async def _add(ctx: Context, args: tuple[str, ...]) -> list[Outgoing]:
    if not ctx.incoming.is_private:
        return [Outgoing(T["private_only"])]
    if ctx.config.page_box is None:
        return [Outgoing(T["off"])]
    if len(args) != 3:
        return [Outgoing(T["usage"])]
    code, page_id, token = args
    unit = await get_unit_by_code(ctx.session, code)
    if unit is None:
        return [Outgoing(T["unknown_unit"].format(code=code))]
    if not any(is_in_subtree(province, unit) for province in ctx.actor.units_with(Role.PROVINCE_ADMIN)):
        return [Outgoing(T["not_allowed"])]
    link = await links.link_page(ctx.session, unit=unit, page_id=page_id, token=token, box=ctx.config.page_box,
                                 now=ctx.now, actor_id=ctx.actor.person_id)
    return [Outgoing(T["linked"].format(page_id=link.page_id, unit=unit.name)),
            Outgoing(T["linked_delete"], if_deleted=T["linked_deleted"])]


async def _remove(ctx: Context, page_id: str) -> list[Outgoing]:
    found = {link.page_id for link in await links.list_pages(ctx.session, ctx.actor.units_with(Role.PROVINCE_ADMIN))}
    page_id = links.check_page_id(page_id)
    if page_id not in found or not await links.unlink_page(ctx.session, page_id, now=ctx.now,
                                                           actor_id=ctx.actor.person_id):
        return [Outgoing(T["not_linked"].format(page_id=page_id))]
    return [Outgoing(T["removed"].format(page_id=page_id))]
