"""Người dùng (placeholder until the page is built)."""

from __future__ import annotations

from aiohttp import web

from bot.console.shared import views

PAGE = "people"


async def show(request: web.Request) -> web.Response:
    return await views.render(request, "placeholder.html", {"title": "Người dùng"}, page=PAGE)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/nguoi-dung", show)
