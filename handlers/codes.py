"""Typed codes (invites, account links): looked up only while the account has not guessed too often.

Every way a code arrives (`/start CODE`, a bare code on Zalo, `/lienket CODE`) goes through
`look_up`, so the throttle of `bot.services.people.code_tries` covers them all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TypeVar

from bot.core.errors import UserFacingError
from bot.core.formatting import local_time
from bot.services.people import code_tries
from handlers.flow import Context

T = TypeVar("T")


async def look_up(ctx: Context, lookup: Callable[[], Awaitable[T]]) -> T:
    """Run `lookup` (which refuses an unknown code), counting a wrong code against the account.

    A locked account is refused before its code is looked at, so a right code guessed while
    locked teaches nothing. A wrong code is written although the refusal rolls the event back.
    """
    inc, limit = ctx.incoming, ctx.config.code_tries_per_hour
    tries = await code_tries.recent(ctx.session, inc.platform, inc.user_id, now=ctx.now, limit=limit)
    if (until := tries.locked_until()) is not None:
        raise UserFacingError("code_locked", until=local_time(until, ctx.config.tz_name))
    try:
        return await lookup()
    except UserFacingError as refusal:
        if refusal.key not in code_tries.WRONG_CODE_KEYS:
            raise
        record = partial(
            code_tries.record_wrong_try, platform=inc.platform, external_id=inc.user_id, now=ctx.now, limit=limit,
            actor_id=ctx.actor.person.id if ctx.actor.person else None,
        )
        until = tries.plus(ctx.now).locked_until()
        answer = refusal if until is None else UserFacingError("code_locked_now", until=local_time(until, ctx.config.tz_name))
        raise answer.keeping(record) from None
