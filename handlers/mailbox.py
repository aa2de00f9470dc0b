"""/hopthu: a province admin sees and sets the units' mailboxes (as `python -m bot units email` does).

`/hopthu` lists the mailboxes of the admin's province and says how to set one;
`/hopthu <mã> <địa chỉ>` sets a unit's address (checked, stored normalised, audited);
`/hopthu <mã> xoa` takes it away.
"""

from __future__ import annotations

from bot.core.messages import Outgoing
from bot.services.people import mailbox
from handlers.flow import Context, FlowEngine
from handlers.mail_texts import MAILBOX as t

COMMAND = "hopthu"
CLEAR_WORDS = ("xoa", "xóa", "bo", "bỏ")


async def mailbox_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    args = ctx.incoming.args
    if len(args) < 2:
        return [Outgoing(await _listing(ctx))]
    code, address = args[0], " ".join(args[1:])
    unit = await mailbox.unit_in_scope(ctx.session, ctx.actor, code)
    if unit is None:
        return [Outgoing(t["unknown_unit"].format(code=code[:16], command=COMMAND))]
    if address.strip().lower() in CLEAR_WORDS:
        if unit.email is None:
            return [Outgoing(t["unchanged"].format(unit=unit.name, code=unit.code))]
        await mailbox.set_unit_email(ctx.session, unit, None, now=ctx.now, actor_id=ctx.actor.person_id)
        return [Outgoing(t["cleared"].format(unit=unit.name, code=unit.code))]
    try:
        stored = await mailbox.set_unit_email(ctx.session, unit, address, now=ctx.now, actor_id=ctx.actor.person_id)
    except mailbox.InvalidAddress:
        return [Outgoing(t["bad_address"].format(address=address[:100]))]
    return [Outgoing(t["set"].format(unit=unit.name, code=unit.code, address=stored))]


async def _listing(ctx: Context) -> str:
    units = await mailbox.mailboxes_in_scope(ctx.session, ctx.actor)
    lines = [t["list_title"], *(t["list_line"].format(unit=u.name, code=u.code, address=u.email) for u in units)] \
        if units else [t["list_none"]]
    return "\n".join([*lines, "", t["usage"].format(command=COMMAND, clear=CLEAR_WORDS[0])])
