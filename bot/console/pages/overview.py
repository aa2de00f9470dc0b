"""Tổng quan: the first page after signing in."""

from __future__ import annotations

from aiohttp import web

from bot.console.shared import views

PAGE = "overview"


async def show(request: web.Request) -> web.Response:
    actor = views.actor_of(request)
    return await views.render(request, "overview.html", {
        "title": "Tổng quan", "units": [u.name for u in views.admin_units(actor)],
    }, page=PAGE)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", show)
