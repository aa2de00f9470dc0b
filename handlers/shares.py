"""/chiase N (/share): an officer says into how many Zalo groups they forwarded broadcast N.

Each copy of content sent to an officer or unit admin carries the option "Đã chia sẻ vào nhóm
Zalo" (`share_choice`, handed to the outbox by the root), which runs /chiase N: a button on
Telegram, a number on Zalo — or, when the copy reaches Zalo while another question is open,
the command to type (the Zalo adapter's hint for a command option), so it never takes that
question's numbers. The question that follows offers 1–5 groups, or any number typed.
"""

from __future__ import annotations

from typing import Any

from bot.core.buttons import command_button
from bot.core.errors import UserFacingError
from bot.core.messages import Choice, Incoming, Outgoing
from bot.core.numbers import typed_id
from broadcasts import shares as service
from handlers.answers import InvalidAnswer, Number, match_choice
from handlers.broadcast_texts import SHARE as t
from handlers.flow import Context, Flow, FlowEngine, Step

OFFERED_COUNTS = (1, 2, 3, 4, 5)  # the group counts offered as options; any other is typed


def share_choice(broadcast_id: int) -> Choice:
    """The option under an officer's copy of broadcast `broadcast_id`."""
    return Choice(command_button(f"{service.COMMAND} {broadcast_id}"), t["offer"])


class GroupCount:
    """How many groups: one of the offered counts (a button, its number or its words), or a
    whole number typed, 0 (not shared after all) to `MAX_GROUPS`."""

    def options(self, answers: dict[str, Any]) -> tuple[Choice, ...]:
        return tuple(Choice(str(n), t["count_option"].format(count=n)) for n in OFFERED_COUNTS)

    async def parse(self, incoming: Incoming, answers: dict[str, Any], context: Any) -> int:
        if incoming.choice is not None:
            return int(match_choice(incoming, self.options(answers)))
        try:
            return await Number(0, service.MAX_GROUPS).parse(incoming, answers, context)
        except InvalidAnswer as problem:
            try:  # "3 nhóm", the words of an option
                return int(match_choice(incoming, self.options(answers)))
            except InvalidAnswer:
                raise problem from None


def _prompt(ctx: Context, answers: dict[str, Any]) -> str:
    text = t["ask"].format(id=answers["broadcast"], unit=answers["_unit"], maximum=service.MAX_GROUPS)
    if answers.get("_previous") is not None:
        text += "\n" + t["previous"].format(count=answers["_previous"])
    return text


async def _finish(ctx: Context, answers: dict[str, Any]) -> list[Outgoing]:
    recorded = await service.record(ctx.session, ctx.actor, answers["broadcast"], answers["groups"], now=ctx.now)
    if recorded.groups == 0:
        key = "none"
    elif recorded.previous is None:
        key = "recorded"
    else:
        key = "changed"
    return [Outgoing(t[key].format(id=recorded.broadcast_id, count=recorded.groups, previous=recorded.previous))]


SHARE = Flow(
    name="share",
    steps=(Step("groups", _prompt, GroupCount()),),
    finish=_finish,
    ephemeral=True,
)


async def share_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    """/chiase N: ask into how many Zalo groups broadcast N was forwarded (again, to change it)."""
    if not ctx.incoming.args:
        return [Outgoing(t["ask_id"].format(command=service.COMMAND))]
    broadcast_id = typed_id(ctx.incoming.args[0])
    if broadcast_id is None:
        raise UserFacingError("broadcast_gone", id=ctx.incoming.args[0][:12])
    _, unit, previous = await service.shareable(ctx.session, ctx.actor, broadcast_id)
    return await engine.start(
        ctx, SHARE.name, {"broadcast": broadcast_id, "_unit": unit.name, "_previous": previous}
    )
