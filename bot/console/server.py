"""The console's aiohttp application: sign-in from the chat's link, sessions, CSRF, error pages.

Mounted by the root under `/quanly/` on the existing web server. Every page but the sign-in
ones needs a live session (cookie `ketnoi_phien`, HttpOnly, SameSite=Lax, `Secure` behind
https, ended after `idle`); every request that changes something carries the session's CSRF
token (form field `csrf` or header `X-CSRF-Token`), compared in constant time.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.console.pages import PAGES
from bot.console.shared import nav, views
from bot.console.shared.deps import ConsoleDeps
from bot.services.people import console_access
from broadcasts.approval import MAX_DOCUMENT_BYTES

log = logging.getLogger(__name__)

PREFIX = "/quanly"
SIGN_IN_PATH = "/vao"
COOKIE = "ketnoi_phien"
STATIC = Path(__file__).parent / "static"
OPEN_PATHS = frozenset({SIGN_IN_PATH, "/dang-nhap"})  # reachable without a session
UPLOAD_MAX = MAX_DOCUMENT_BYTES + 2**20  # the largest file a broadcast takes, and the form around it
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the sign-in link's token never leaves in a Referer
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_console(deps: ConsoleDeps) -> web.Application:
    app = web.Application(middlewares=[_errors_and_headers, _signed_in])
    app[views.DEPS] = deps
    env = aiohttp_jinja2.setup(
        app, loader=jinja2.PackageLoader("bot.console", "templates"),
        autoescape=jinja2.select_autoescape(["html"]), undefined=jinja2.StrictUndefined,
    )
    env.globals.update(nav=nav.NAV, prefix=PREFIX)
    env.filters.update(views.FILTERS)
    env.filters["when"] = lambda moment: views.when(moment, deps.tz_name)
    app.router.add_get(SIGN_IN_PATH, sign_in_page)
    app.router.add_post(SIGN_IN_PATH, sign_in)
    app.router.add_get("/dang-nhap", signed_out_page)
    app.router.add_post("/thoat", sign_out)
    static = app.router.add_static("/static", STATIC, append_version=True, name="static")
    env.globals["static"] = lambda filename: str(static.url_for(filename=filename))
    for page in PAGES:
        page.add_routes(app)
    return app


@web.middleware
async def _errors_and_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Security headers on everything; 403/404 as Vietnamese pages, not aiohttp's plain text."""
    try:
        response = await handler(request)
    except web.HTTPForbidden:
        response = views.error_page(request, 403)
    except web.HTTPNotFound:
        response = views.error_page(request, 404)
    if not request.path.startswith(f"{PREFIX}/static/"):
        response.headers.update(SECURITY_HEADERS)
    return response


@web.middleware
async def _signed_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every page needs a live session; every change its CSRF token."""
    local = request.path.removeprefix(PREFIX)
    if local in OPEN_PATHS or local.startswith("/static/"):
        return await handler(request)
    deps = request.app[views.DEPS]
    token = request.cookies.get(COOKIE)
    visit = None
    if token:
        async with deps.session_factory() as session, session.begin():
            visit = await console_access.resume(session, token, now=deps.clock(), idle=deps.idle)
    if visit is None:
        if request.method in SAFE_METHODS:
            raise web.HTTPSeeOther(f"{PREFIX}/dang-nhap")
        raise web.HTTPForbidden()
    if request.method not in SAFE_METHODS and request.content_type == "multipart/form-data":
        request = request.clone(client_max_size=UPLOAD_MAX)  # a signed-in person's file, up to the limit
    if request.method not in SAFE_METHODS:
        given = request.headers.get("X-CSRF-Token")
        if given is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            given = (await request.post()).get("csrf")
        if not console_access.same_token(given if isinstance(given, str) else None, visit.csrf_token):
            log.warning("console: %s %s refused, CSRF token missing or wrong", request.method, request.path)
            raise web.HTTPForbidden()
    request[views.VISIT] = visit
    return await handler(request)


@aiohttp_jinja2.template("signin.html")
async def sign_in_page(request: web.Request) -> dict:
    """The link from the chat lands here. Only the POST spends it: a link preview (Telegram's
    fetches every link in a message) or a virus scanner opening the URL uses nothing."""
    return {"token": request.query.get("ma", ""), "title": "Đăng nhập"}


async def sign_in(request: web.Request) -> web.StreamResponse:
    deps = request.app[views.DEPS]
    token = (await request.post()).get("ma")
    signed_in = None
    if isinstance(token, str) and token:
        async with deps.session_factory() as session, session.begin():
            signed_in = await console_access.redeem_link(session, token, now=deps.clock())
    if signed_in is None:
        return aiohttp_jinja2.render_template("signin_refused.html", request, {"title": "Liên kết không dùng được"},
                                              status=403)
    response = views.redirect(f"{PREFIX}/")
    response.set_cookie(COOKIE, signed_in.token, path=PREFIX, httponly=True, samesite="Lax",
                        secure=deps.secure_cookies)
    return response


@aiohttp_jinja2.template("signed_out.html")
async def signed_out_page(request: web.Request) -> dict:
    return {"title": "Đăng nhập"}


async def sign_out(request: web.Request) -> web.StreamResponse:
    deps = request.app[views.DEPS]
    async with deps.session_factory() as session, session.begin():
        await console_access.sign_out(session, request[views.VISIT], now=deps.clock())
    response = views.redirect(f"{PREFIX}/dang-nhap")
    response.del_cookie(COOKIE, path=PREFIX)
    return response
