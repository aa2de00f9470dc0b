"""Nhật ký (placeholder until the page is built)."""

from __future__ import annotations

from aiohttp import web

from bot.console.shared import views

PAGE = "audit"


async def show(request: web.Request) -> web.Response:
    return await views.render(request, "placeholder.html", {"title": "Nhật ký"}, page=PAGE)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/nhat-ky", show)
