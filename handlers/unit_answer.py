"""Choosing a unit in a chat: by button, GSO code or part of its name, within some subtrees."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.core.messages import Choice, Incoming
from bot.services.people import units
from handlers.answers import InvalidAnswer
from storage.models import Unit

UNIT_PREFIX = "unit:"
MAX_MATCHES = 8

Scopes = Callable[[Any, dict[str, Any]], Awaitable[list[Unit]] | list[Unit]]
Accept = Callable[[Any, dict[str, Any], Unit], bool]


class UnitAnswer:
    """Finds the unit a person means; several matches come back as buttons to pick from.

    `scopes(ctx, answers)` gives the subtrees searched; `accept(ctx, answers, unit)` may refuse
    some units (e.g. those an admin may not invite into); `offered(answers)` are suggestions
    shown as buttons with the question.
    """

    def __init__(
        self,
        scopes: Scopes,
        *,
        accept: Accept | None = None,
        offered: Callable[[dict[str, Any]], list[Choice]] | None = None,
    ) -> None:
        self.scopes = scopes
        self.accept = accept
        self.offered = offered

    def options(self, answers: dict[str, Any]) -> tuple[Choice, ...]:
        return tuple(self.offered(answers)) if self.offered else ()

    async def parse(self, incoming: Incoming, answers: dict[str, Any], ctx: Any) -> str:
        query = (incoming.choice or (incoming.text or "")).strip().removeprefix(UNIT_PREFIX)
        if not query:
            raise InvalidAnswer("empty")
        scopes = self.scopes(ctx, answers)
        if not isinstance(scopes, list):
            scopes = await scopes
        found: dict[int, Unit] = {}
        for scope in scopes:
            for unit in await units.search_units(ctx.session, scope, query):
                found[unit.id] = unit
        matches = [u for u in found.values() if self.accept is None or self.accept(ctx, answers, u)]
        exact = [u for u in matches if u.code == query]
        if exact:
            return exact[0].code
        if len(matches) == 1:
            return matches[0].code
        if not matches:
            raise InvalidAnswer("unit_not_found", text=query[:60])
        choices = [Choice(UNIT_PREFIX + u.code, u.name) for u in matches[:MAX_MATCHES]]
        raise InvalidAnswer("unit_ambiguous", choices=choices, text=query[:60])
