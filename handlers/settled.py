"""When one admin acts on a notice, the others see it (issue #12, item 2).

Every actionable notice names its subject (`Outgoing.about`) and the root records each copy
sent. Once the subject is settled (a report accepted or returned, content approved or
rejected, an urgent issue acknowledged or resolved), `update_copies` edits the other admins'
copies to say who did what and when, buttons gone (Telegram; Zalo cannot edit, there the item
leaves /viec). An old option pressed or typed later gets `note`, not an error.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.formatting import local_time
from bot.core.messages import Edit, Outgoing
from bot.services import notices
from bot.services.people.people import full_name_of
from handlers.flow import WEB, Context
from handlers.todo_texts import SETTLED


def when_text(moment: datetime, ctx: Context) -> str:
    """"09:31" today; "09:31 ngày 30/11/2026" on another day (local time)."""
    tz = ZoneInfo(ctx.config.tz_name)
    if moment.astimezone(tz).date() == ctx.now.astimezone(tz).date():
        return f"{moment.astimezone(tz):%H:%M}"
    return local_time(moment, ctx.config.tz_name)


async def update_copies(ctx: Context, subject: tuple[str, int], what: str, verb: str) -> None:
    """Edit every other admin's copy of the notice about `subject`: "<what> — done by <actor>"."""
    person = ctx.actor.person
    # In the chat the press already changed the actor's own copy; from the web console nothing
    # did, so there every copy is edited, the actor's own too.
    from_chat = ctx.incoming.platform != WEB
    mine = frozenset((i.platform, i.chat_id) for i in person.identities) if person and from_chat else frozenset()
    text = SETTLED["edited"].format(what=what, who=_name(person.full_name if person else None),
                                    verb=SETTLED["verbs"][verb], when=when_text(ctx.now, ctx))
    for copy in await notices.copies(ctx.session, subject, except_chats=mine):
        ctx.edits.append(Edit(copy.platform, copy.chat_id, copy.message_id, text))


async def note(ctx: Context, kind: str, verb: str, by: int | None, at: datetime | None) -> list[Outgoing]:
    """What an old option of a settled notice answers: who settled it and when."""
    who = _name(await full_name_of(ctx.session, by))
    when = when_text(at or ctx.now, ctx)
    return [Outgoing(SETTLED[f"note_{kind}"].format(who=who, verb=SETTLED["verbs"][verb], when=when))]


def _name(full_name: str | None) -> str:
    return full_name or SETTLED["someone"]
