"""What every console page shares: the signed-in visit, rendering with the layout, running an
action as the signed-in person (with the chat's rules and notices), scope checks, error pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.console.shared.deps import ConsoleDeps
from bot.core.formatting import local_time
from bot.services.people import console_access, units
from bot.services.people.console_access import Visit
from bot.services.people.people import ADMIN_ROLES, Actor
from handlers.dispatch import DeskWork, Refused
from handlers.texts import ROLE_NAMES
from storage.models import Unit

DEPS = web.AppKey("console_deps", ConsoleDeps)
VISIT = web.RequestKey("console_visit", Visit)  # the signed-in person of a request
ERRORS = {
    403: ("Không có quyền", "Bạn không có quyền xem hoặc làm việc này. Trang này dành cho quản trị viên "
          "của đơn vị khác hoặc cấp trên."),
    404: ("Không tìm thấy", "Trang hoặc mục bạn tìm không có (có thể đã bị xóa)."),
}


def deps_of(request: web.Request) -> ConsoleDeps:
    return request.app[DEPS]


def visit_of(request: web.Request) -> Visit:
    return request[VISIT]


def actor_of(request: web.Request) -> Actor:
    return visit_of(request).actor


async def render(request: web.Request, template: str, context: dict[str, Any], *, page: str,
                 status: int = 200) -> web.Response:
    """A page in the layout: the menu with `page` marked, who is signed in, the CSRF token for
    its forms and the message the last action left (shown once)."""
    deps, visit = deps_of(request), visit_of(request)
    async with deps.session_factory() as session, session.begin():
        flash = await console_access.take_flash(session, visit)
    person = visit.actor.person
    base = {
        "page": page, "csrf": visit.csrf_token, "flash": flash,
        "me": {"name": person.full_name if person else "", "roles": role_lines(visit.actor)},
    }
    return aiohttp_jinja2.render_template(template, request, base | context, status=status)


def role_lines(actor: Actor) -> list[str]:
    """"Quản trị viên cấp tỉnh · Tỉnh Vĩnh Long" for each admin role, in the chat's words for roles."""
    return [f"{ROLE_NAMES[r.role]} · {r.unit.name}" for r in actor.roles if r.role in ADMIN_ROLES]


async def act(request: web.Request, work: DeskWork, *, back: str | Callable[[], str],
              refused: Callable[[str], Awaitable[web.Response]] | None = None) -> web.Response:
    """Run `work` as the signed-in person (the chat's rules, notices and copy edits), leave what
    it said for the next page and send the browser to `back` (post, redirect, get).

    `back` may be a function, asked after the work (e.g. for the page of what it created);
    `refused`, if given, answers a refusal itself (e.g. the form again, with what was typed)."""
    done, message = await perform(request, work)
    if not done and refused is not None:
        return await refused(message)
    deps, visit = deps_of(request), visit_of(request)
    async with deps.session_factory() as session, session.begin():
        await console_access.set_flash(session, visit, message)
    return redirect(back if isinstance(back, str) else back())


async def perform(request: web.Request, work: DeskWork) -> tuple[bool, str]:
    """`act` without the redirect, for a page that shows what the work made at once (e.g. invite
    codes, shown once): whether it was done, and what it said (or the refusal's sentence)."""
    deps, visit = deps_of(request), visit_of(request)
    try:
        response = await deps.dispatcher.act(visit.actor.person_id, work)
    except Refused as refused:
        return False, refused.message
    await deps.route(response)
    return True, "\n".join(reply.text for reply in response.replies)


def redirect(location: str) -> web.Response:
    """303 See Other: after a form, the browser GETs the next page (a reload repeats nothing)."""
    return web.Response(status=303, headers={"Location": location})


def admin_units(actor: Actor) -> list[Unit]:
    """The units the signed-in person administers: the roots of everything they may see."""
    return actor.units_with(*ADMIN_ROLES)


def in_scope(actor: Actor, unit: Unit) -> bool:
    return any(units.is_in_subtree(root, unit) for root in admin_units(actor))


def require_scope(actor: Actor, unit: Unit | None) -> Unit:
    """The unit, when the person administers it or a unit above it; 403 otherwise, 404 if gone."""
    if unit is None:
        raise web.HTTPNotFound()
    if not in_scope(actor, unit):
        raise web.HTTPForbidden()
    return unit


def error_page(request: web.Request, status: int) -> web.Response:
    title, text = ERRORS[status]
    return aiohttp_jinja2.render_template("error.html", request, {"title": title, "text": text}, status=status)


def when(moment: datetime | None, tz_name: str) -> str:
    return local_time(moment, tz_name) if moment is not None else ""


def _number(value: int | float | None) -> str:
    """1.250 (Vietnamese thousands), "–" for nothing."""
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{int(value):,}".replace(",", ".")


def _join(values: Iterable[str], separator: str = ", ") -> str:
    return separator.join(values)


FILTERS = {"number": _number, "join": _join}
