"""`FacebookEmulator`: Pages, their tokens, their posts and scripted faults, as one aiohttp app."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.emulator.common import EmulatorError, Served, ctl_error

GRAPH_VERSION = "v26.0"
RATE_LIMIT_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try again.",
}
# What Facebook says for the other refusals a test may script (`refuse_next`): permissions
# (10, 200-299: the token cannot do this) and plain errors in the request (100, 506).
ERROR_MESSAGES = {
    10: "(#10) Application does not have permission for this action",
    100: "(#100) Invalid parameter",
    190: "Error validating access token: The session has been invalidated because the user changed their password.",
    200: "(#200) The user hasn't authorized the application to perform this action",
    210: "(#210) A page access token is required to request this resource.",
    230: "(#230) Requires pages_messaging permission to manage the object",
    506: "(#506) Duplicate status message",
}
# The permissions a Page token needs (README: "Facebook Pages"); a token without one is refused
# with Facebook's words for it (`take_permission`).
PUBLISH, READ = "pages_manage_posts", "pages_read_engagement"
PERMISSION_REFUSALS = {
    PUBLISH: (200, "(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts "
                   "as an admin with sufficient administrative permission"),
    READ: (10, "(#10) This endpoint requires the 'pages_read_engagement' permission or the "
               "'Page Public Content Access' feature."),
}


class FacebookEmulatorError(EmulatorError):
    """A scripted act is impossible (an unknown Page)."""


@dataclass
class Post:
    """One post on a Page, as published (a photo post keeps its bytes for the tests)."""

    id: str
    page_id: str
    message: str
    link: str | None = None
    photo: bytes | None = None
    photo_name: str | None = None
    created_time: float = field(default_factory=time.time)

    def public(self) -> dict[str, Any]:
        created = time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(self.created_time))
        return {"id": self.id, "message": self.message, "created_time": created}


@dataclass
class Page:
    page_id: str
    name: str
    token: str
    expired: bool = False
    missing: set[str] = field(default_factory=set)  # permissions the token lacks (PERMISSION_REFUSALS)
    posts: list[Post] = field(default_factory=list)
    faults: deque[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=deque)


class FacebookEmulator(Served):
    """The fake Graph API: `add_page`, then point FACEBOOK_GRAPH_API_BASE_URL at `base_url`."""

    _error = FacebookEmulatorError
    _session = None

    def __init__(self, version: str = GRAPH_VERSION) -> None:
        super().__init__()
        self.version = version
        self.pages: dict[str, Page] = {}
        self.requests = 0  # publishing and reading calls answered (faults included)
        self._ids = itertools.count(1_000_001)
        self._hold: asyncio.Event | None = None
        self._held_pages: set[str] | None = None
        self.held = 0  # posts made whose answer is being held

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/{self.version}"

    def make_app(self) -> web.Application:
        app = self._new_app(16 * 1024 * 1024)
        app.router.add_post(f"/{self.version}/{{page_id}}/feed", self._post_feed)
        app.router.add_get(f"/{self.version}/{{page_id}}/feed", self._get_feed)
        app.router.add_post(f"/{self.version}/{{page_id}}/photos", self._post_photo)
        app.router.add_get("/_fb/posts", self._ctl_posts)
        return app

    # ------------------------------------------------------------------ the scripted world

    def add_page(self, page_id: str, name: str, token: str) -> None:
        self.pages[page_id] = Page(page_id, name, token)

    def posts(self, page_id: str) -> list[Post]:
        return list(self._page(page_id).posts)

    def expire_token(self, page_id: str) -> None:
        """The Page's token stops working (code 190, subcode 463: expired)."""
        self._page(page_id).expired = True

    def renew_token(self, page_id: str, token: str) -> None:
        """A new token, with every permission."""
        page = self._page(page_id)
        page.token, page.expired = token, False
        page.missing.clear()

    def rate_limit_next(self, page_id: str, *, code: int = 32, status: int = 400, minutes: int = 1) -> None:
        """The next call for this Page is refused by a rate limit (`code` in RATE_LIMIT_MESSAGES)."""
        usage = {page_id: [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": minutes}]}
        error = {"message": RATE_LIMIT_MESSAGES[code], "type": "OAuthException", "code": code,
                 "is_transient": True, "fbtrace_id": "AemuRateLimit"}
        self._page(page_id).faults.append((status, error, {"X-Business-Use-Case-Usage": json.dumps(usage)}))

    def fail_next(self, page_id: str, *, times: int = 1) -> None:
        """The next `times` calls for this Page answer HTTP 500 (an unexpected server error)."""
        error = {"message": "An unexpected error has occurred. Please retry your request later.",
                 "type": "OAuthException", "code": 2, "is_transient": True, "fbtrace_id": "AemuServerError"}
        for _ in range(times):
            self._page(page_id).faults.append((500, error, {}))

    def refuse_next(
        self, page_id: str, code: int, *, message: str | None = None, status: int = 400, times: int = 1,
        subcode: int | None = None, kind: str = "OAuthException",
    ) -> None:
        """The next `times` calls for this Page (a post or a feed read) are refused with Facebook's
        error `code`: a permission (10, 200-299), a bad request (100), a duplicate (506)... The
        message is Facebook's (ERROR_MESSAGES) unless given."""
        error: dict[str, Any] = {"message": message or ERROR_MESSAGES.get(code, f"(#{code}) Error"), "type": kind,
                                 "code": code, "fbtrace_id": "AemuRefused"}
        if subcode is not None:
            error["error_subcode"] = subcode
        for _ in range(times):
            self._page(page_id).faults.append((status, error, {}))

    def take_permission(self, page_id: str, permission: str) -> None:
        """The Page's token lacks `permission` from now on: publishing (PUBLISH) refuses posts with
        code 200, reading (READ) refuses the feed read with code 10, as Facebook does."""
        if permission not in PERMISSION_REFUSALS:
            raise FacebookEmulatorError(f"unknown permission {permission}; known: {sorted(PERMISSION_REFUSALS)}")
        self._page(page_id).missing.add(permission)

    def hold(self, page_ids: set[str] | None = None) -> None:
        """From now on, posts (on these Pages, or all) are made but their answers wait until `release()`."""
        self._hold = asyncio.Event()
        self._held_pages = page_ids

    def release(self) -> None:
        if self._hold is not None:
            self._hold.set()
            self._hold = None

    async def _on_shutdown(self, _app: web.Application | None = None) -> None:
        self.release()  # a held answer must not keep the server from stopping
        await super()._on_shutdown(_app)

    def _page(self, page_id: str) -> Page:
        try:
            return self.pages[page_id]
        except KeyError:
            raise FacebookEmulatorError(f"no Page {page_id}") from None

    # ------------------------------------------------------------------ the Graph API

    async def _post_feed(self, request: web.Request) -> web.Response:
        form = await request.post()
        page, refused = await self._admit(request, str(form.get("access_token") or ""), PUBLISH)
        if refused is not None:
            return refused
        message = str(form.get("message") or "")
        link = str(form.get("link") or "") or None
        if not message and not link:
            return _error(400, 100, "(#100) Missing message or attachment", "OAuthException")
        post = Post(f"{page.page_id}_{next(self._ids)}", page.page_id, message, link)
        return await self._publish(page, post, {"id": post.id})

    async def _post_photo(self, request: web.Request) -> web.Response:
        form = await request.post()
        page, refused = await self._admit(request, str(form.get("access_token") or ""), PUBLISH)
        if refused is not None:
            return refused
        source = form.get("source")
        if not isinstance(source, web.FileField):
            return _error(400, 324, "(#324) Requires upload file", "OAuthException")
        data = source.file.read()
        photo_id = str(next(self._ids))
        post = Post(f"{page.page_id}_{next(self._ids)}", page.page_id, str(form.get("caption") or ""),
                    photo=data, photo_name=source.filename)
        return await self._publish(page, post, {"id": photo_id, "post_id": post.id})

    async def _get_feed(self, request: web.Request) -> web.Response:
        page, refused = await self._admit(request, request.query.get("access_token", ""), READ)
        if refused is not None:
            return refused
        limit = min(int(request.query.get("limit", "25")), 100)
        newest = [post.public() for post in reversed(page.posts)][:limit]
        return web.json_response({"data": newest})

    async def _admit(
        self, request: web.Request, token: str, permission: str
    ) -> tuple[Page, web.Response | None]:
        """The Page, and the refusal to answer instead (unknown Page, bad token, a scripted fault,
        a permission the token lacks)."""
        self.requests += 1
        page = self.pages.get(request.match_info["page_id"])
        if page is None:
            return Page("", "", ""), _error(
                400, 100, "(#100) Object does not exist, cannot be loaded due to missing permissions",
                "GraphMethodException", subcode=33,
            )
        if page.faults:
            status, error, headers = page.faults.popleft()
            await self._notify()
            return page, web.json_response({"error": error}, status=status, headers=headers)
        if page.expired and token == page.token:
            return page, _error(400, 190, "Error validating access token: Session has expired.",
                                "OAuthException", subcode=463)
        if token != page.token:
            return page, _error(400, 190, "Invalid OAuth access token - Cannot parse access token", "OAuthException")
        if permission in page.missing:
            code, message = PERMISSION_REFUSALS[permission]
            return page, _error(403 if code == 200 else 400, code, message, "OAuthException")
        return page, None

    async def _publish(self, page: Page, post: Post, answer: dict[str, Any]) -> web.Response:
        page.posts.append(post)
        await self._notify()
        hold = self._hold
        if hold is not None and (self._held_pages is None or page.page_id in self._held_pages):
            self.held += 1
            await self._notify()
            await hold.wait()
        return web.json_response(answer)

    # ------------------------------------------------------------------ control (the demo page)

    async def _ctl_posts(self, request: web.Request) -> web.Response:
        page_id = request.query.get("page")
        if page_id is not None and page_id not in self.pages:
            return ctl_error(404, f"no Page {page_id}")
        pages = [self.pages[page_id]] if page_id else list(self.pages.values())
        return web.json_response({"ok": True, "pages": [
            {"id": p.page_id, "name": p.name, "posts": [
                {**post.public(), "link": post.link, "photo": post.photo_name} for post in reversed(p.posts)
            ]} for p in pages
        ]})


def _error(status: int, code: int, message: str, kind: str, *, subcode: int | None = None) -> web.Response:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "AemuFbTrace"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return web.json_response({"error": error}, status=status)
