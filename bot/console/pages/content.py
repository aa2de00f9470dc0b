"""Tin bài: compose content, approve what others wrote, follow broadcasts as they go out, poll results.

Every action goes through the chat's own functions in `handlers/post.py` (via `views.act`), so
the checks, the four-eyes rule, the notices to the other admins and to the author, and the
settling of their copies are the chat's. Reads call `broadcasts/` directly. Broadcasts are the
province admins' work (as `/dangtin`): anyone else is shown why and refused by the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.console.shared import charts, views
from bot.core.errors import UserFacingError
from bot.core.messages import Document, Photo
from bot.core.numbers import typed_id
from bot.services.people.units import get_unit_by_code
from broadcasts import approval, audience, polls, shares, store
from broadcasts.store import StatusCounts
from broadcasts.text import clean_html, html_to_text
from handlers import polls as poll_handlers
from handlers import post
from handlers.broadcast_texts import FAILURE_REASONS, STATUS_NAMES
from handlers.texts import ERRORS
from storage.models import BroadcastStatus, Role

PAGE = "content"
BASE = "/tin-bai"
PAGE_SIZE = 50
S = BroadcastStatus
RUNNING = (S.SENDING, S.SCHEDULED, S.APPROVED)
FINISHED = (S.COMPLETED, S.STOPPED, S.CANCELLED, S.REJECTED)
# What a photo upload is, by its first bytes (what Telegram sends as a photo); anything else is a file.
IMAGE_MAGIC = ((b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"RIFF", "webp"))
TOPICS = (("focal", post.t.POST["focal"]), ("regular", post.t.POST["regular"]))


def _url(request: web.Request, path: str = "") -> str:
    """An address on this page, under wherever the console is mounted."""
    return request.path[: request.path.index(BASE)] + BASE + path


def _is_province_admin(request: web.Request) -> bool:
    return approval.is_province_admin(views.actor_of(request))


def _require_province_admin(request: web.Request) -> None:
    if not _is_province_admin(request):
        raise web.HTTPForbidden()


def _id(request: web.Request, name: str = "id") -> int:
    found = typed_id(request.match_info[name])
    if found is None:
        raise web.HTTPNotFound()
    return found


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Progress:
    """A broadcast's figures as the page (and its JSON) shows them."""

    status: str
    status_name: str
    total: int
    sent: int
    pending: int
    failed: int
    failed_by: list[tuple[str, int]]
    unreachable: int
    cancelled: int

    @property
    def done_percent(self) -> int:
        return round(100 * (self.total - self.pending) / self.total) if self.total else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status, "status_name": self.status_name, "total": self.total, "sent": self.sent,
            "pending": self.pending, "failed": self.failed, "unreachable": self.unreachable,
            "cancelled": self.cancelled, "done_percent": self.done_percent,
            "failed_by": [[reason, count] for reason, count in self.failed_by],
        }


def _progress(status: str, counts: StatusCounts) -> Progress:
    return Progress(
        status=status, status_name=STATUS_NAMES.get(status, status), total=counts.total, sent=counts.sent,
        pending=counts.pending, failed=counts.failed_total,
        failed_by=[(FAILURE_REASONS.get(reason, reason), n) for reason, n in sorted(counts.failed.items())],
        unreachable=counts.unreachable, cancelled=counts.cancelled,
    )


def _row(item: approval.Listed, counts: StatusCounts | None = None) -> dict[str, Any]:
    b = item.broadcast
    text = html_to_text(b.text) if b.html else b.text
    return {
        "id": b.id, "author": item.author or "—", "status": b.status, "status_name": STATUS_NAMES.get(b.status, b.status),
        "excerpt": text[:120] + ("…" if len(text) > 120 else ""), "topic": post.t.POST.get(b.topic, b.topic),
        "media": b.media_kind, "created_at": b.created_at, "submitted_at": b.submitted_at, "send_at": b.send_at,
        "started_at": b.started_at, "finished_at": b.finished_at, "recipients": b.recipients,
        "updated_at": b.updated_at,
        "progress": _progress(b.status, counts) if counts is not None else None,
    }


# --------------------------------------------------------------------------- the page


async def show(request: web.Request) -> web.Response:
    """Waiting for my approval, running and scheduled, my drafts, finished (paged), polls."""
    actor = views.actor_of(request)
    if not approval.is_province_admin(actor):
        return await views.render(request, "content.html", {
            "title": "Tin bài", "allowed": False, "refusal": ERRORS["broadcast_not_allowed"],
        }, page=PAGE)
    deps = views.deps_of(request)
    page = max(1, typed_id(request.query.get("trang", "1")) or 1)
    async with deps.session_factory() as session:
        waiting = await approval.awaiting_approval(
            session, actor, allow_self_approval=deps.dispatcher.config.allow_self_approval)
        running = await approval.listed(session, RUNNING)
        drafts = await approval.listed(session, (S.DRAFT, S.PENDING_APPROVAL), author_id=actor.person_id)
        finished = await approval.listed(session, FINISHED, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
        counts = await store.status_counts_of(session, [i.broadcast.id for i in running])
        recent_polls = await polls.recent(session, limit=10)
    return await views.render(request, "content.html", {
        "title": "Tin bài", "allowed": True,
        "waiting": [_row(i) for i in waiting],
        "running": [_row(i, counts[i.broadcast.id]) for i in running],
        "drafts": [_row(i) for i in drafts],
        "finished": [_row(i) for i in finished[:PAGE_SIZE]],  # its figures: on its own page
        "page_number": page, "more": len(finished) > PAGE_SIZE,
        "polls": [{"id": p.poll.id, "question": p.poll.question, "votes": p.votes, "closed": p.poll.status == "closed",
                   "broadcast_id": p.poll.broadcast_id,
                   "status_name": STATUS_NAMES.get(p.broadcast_status or "", "")} for p in recent_polls],
    }, page=PAGE)


async def progress(request: web.Request) -> web.Response:
    """The figures of some broadcasts, for the page's script to refresh (?id=3&id=4)."""
    _require_province_admin(request)
    ids = [i for i in (typed_id(v) for v in request.query.getall("id", [])) if i is not None][:PAGE_SIZE]
    deps = views.deps_of(request)
    async with deps.session_factory() as session:
        statuses = await approval.statuses_of(session, ids)
        counts = await store.status_counts_of(session, list(statuses))
    return web.json_response({str(i): _progress(statuses[i], counts[i]).to_json() for i in statuses})


# --------------------------------------------------------------------------- compose


@dataclass
class Form:
    """What the compose form holds (typed, or read back from a draft)."""

    text: str = ""
    topic: str = "regular"
    unit: str = ""
    roles: tuple[str, ...] = ()
    draft_id: int | None = None
    media_kind: str | None = None
    media_name: str | None = None


async def compose(request: web.Request) -> web.Response:
    _require_province_admin(request)
    actor = views.actor_of(request)
    draft_id = typed_id(request.query.get("ban", ""))
    form = Form(unit=views.admin_units(actor)[0].code if views.admin_units(actor) else "")
    if draft_id is not None:
        deps = views.deps_of(request)
        async with deps.session_factory() as session:
            try:
                b = (await approval.one_listed(session, draft_id)).broadcast
            except UserFacingError:
                raise web.HTTPNotFound() from None
        if b.author_id != actor.person_id or b.status != S.DRAFT:
            raise web.HTTPForbidden()
        spec = audience.Audience.from_json(b.audience)
        form = Form(text=b.text, topic=b.topic, unit=spec.units[0] if spec.units else form.unit,
                    roles=tuple(post.audience_roles(spec)), draft_id=b.id, media_kind=b.media_kind,
                    media_name=b.media_name)
    return await _compose_page(request, form)


async def _audience_picker(request: web.Request, form: Form) -> dict[str, Any]:
    """The units and roles to choose from, and the count of what is chosen (the page without script)."""
    actor = views.actor_of(request)
    deps = views.deps_of(request)
    async with deps.session_factory() as session:
        units = await audience.unit_choices(session, actor.units_with(Role.PROVINCE_ADMIN))
        count = await _count(session, form.unit, form.roles) if form.unit and form.roles else None
    return {"units": units, "count": count, "roles": [(o.value, o.label) for o in post.AUDIENCE.options]}


async def _compose_page(request: web.Request, form: Form, error: str | None = None) -> web.Response:
    return await views.render(request, "content_compose.html", {
        "title": "Soạn tin", "form": form, "error": error, "topics": TOPICS,
        "max_text": post.MAX_TEXT, "max_photo_mb": approval.MAX_PHOTO_BYTES // 2**20,
        "max_document_mb": approval.MAX_DOCUMENT_BYTES // 2**20, **await _audience_picker(request, form),
    }, page=PAGE, status=400 if error else 200)


async def _count(session: Any, unit_code: str, roles: tuple[str, ...]) -> int:
    return await approval.preview_audience(session, post.audience_of({"unit": unit_code, "q:roles": list(roles)}))


async def save(request: web.Request) -> web.Response:
    """The compose form: a new draft (or the draft rewritten), then its preview."""
    data = await request.post()
    form = Form(
        text=str(data.get("text", "")), topic=str(data.get("topic", "regular")), unit=str(data.get("unit", "")),
        roles=tuple(str(r) for r in data.getall("roles", [])), draft_id=typed_id(str(data.get("draft", ""))),
    )
    media = _media(data.get("file"))
    keep = data.get("keep_media") == "1"
    saved: dict[str, int] = {}

    async def work(ctx: Any, engine: Any) -> list:
        if form.topic not in dict(TOPICS):
            form.topic = "regular"
        broadcast, replies = await post.save_draft(
            ctx, text=form.text, topic=form.topic, media=media, keep_media=keep, draft_id=form.draft_id,
            audience=post.audience_of({"unit": form.unit, "q:roles": list(form.roles)}),
        )
        saved["id"] = broadcast.id
        return replies

    async def again(message: str) -> web.Response:
        return await _compose_page(request, form, message)

    refused = again if _is_province_admin(request) else None  # anyone else: the refusal on the page
    return await views.act(request, work, back=lambda: _url(request, f"/{saved['id']}") if saved else _url(request),
                           refused=refused)


def _media(field: Any) -> Photo | Document | None:
    """An uploaded file as the chat would have it: a photo when it is a picture Telegram shows."""
    if not isinstance(field, web.FileField):
        return None
    with field.file:  # a temporary file aiohttp made of the upload
        data = field.file.read()
    if not data:
        return None
    name = (field.filename or "tep-dinh-kem").replace("/", "_").replace("\\", "_")[-120:]
    for magic, _ in IMAGE_MAGIC:
        if data.startswith(magic) and (magic != b"RIFF" or data[8:12] == b"WEBP"):
            return Photo(data, name)
    return Document(data, name)


async def count(request: web.Request) -> web.Response:
    """How many chats an audience reaches now (?unit=86&roles=member&roles=chats): the live count."""
    _require_province_admin(request)
    actor = views.actor_of(request)
    code = request.query.get("unit", "")
    roles = tuple(r for r in request.query.getall("roles", []) if r in {o.value for o in post.AUDIENCE.options})
    deps = views.deps_of(request)
    async with deps.session_factory() as session:
        unit = await get_unit_by_code(session, code) if code else None
        views.require_scope(actor, unit)
        total = await _count(session, code, roles) if roles else 0
    return web.json_response({"count": total, "text": views.FILTERS["number"](total)})


# --------------------------------------------------------------------------- one broadcast


async def detail(request: web.Request) -> web.Response:
    """One broadcast: as Telegram and Zalo will show it, its audience, figures and what may be done."""
    _require_province_admin(request)
    actor = views.actor_of(request)
    deps = views.deps_of(request)
    broadcast_id = _id(request)
    async with deps.session_factory() as session:
        try:
            item = await approval.one_listed(session, broadcast_id)
        except UserFacingError:
            raise web.HTTPNotFound() from None
        b = item.broadcast
        spec = audience.Audience.from_json(b.audience)
        names = [(await get_unit_by_code(session, code)) for code in spec.units]
        reach = await approval.preview_audience(session, spec) if b.status in (S.DRAFT, S.PENDING_APPROVAL) else None
        counts = (await store.status_counts_of(session, [b.id]))[b.id]
        poll = (await polls.polls_for_broadcasts(session, {b.id})).get(b.id)
        shared = await shares.counts(session, b.id)
    mine = b.author_id == actor.person_id
    may_approve = b.status == S.PENDING_APPROVAL and (not mine or deps.dispatcher.config.allow_self_approval)
    text = b.text
    return await views.render(request, "content_detail.html", {
        "title": f"Tin số {b.id}", "b": b, "row": _row(item, counts),
        "telegram_html": clean_html(text) if b.html else None,  # shown as HTML: only Telegram's tags, whoever wrote it
        "plain": html_to_text(text) if b.html else text, "mine": mine, "may_approve": may_approve,
        "units": [u.name for u in names if u is not None], "roles": post.describe_roles(post.audience_roles(spec)),
        "reach": reach, "progress": _progress(b.status, counts), "poll": poll, "shared": shared,
        "cancellable": b.status in approval.CANCELLABLE and (b.status != S.DRAFT or mine),
        "now_local": _local_input(deps.clock(), deps.tz_name),
    }, page=PAGE)


def _local_input(moment: datetime, tz_name: str) -> str:
    return moment.astimezone(ZoneInfo(tz_name)).strftime("%Y-%m-%dT%H:%M")


async def media(request: web.Request) -> web.StreamResponse:
    """The broadcast's photo or file, for its preview."""
    _require_province_admin(request)
    deps = views.deps_of(request)
    async with deps.session_factory() as session:
        found = await approval.media_of(session, _id(request))
    if found is None:
        raise web.HTTPNotFound()
    kind, name, data = found
    if kind == "photo":
        ext = next((e for magic, e in IMAGE_MAGIC if data.startswith(magic)), "jpg")
        return web.Response(body=data, content_type=f"image/{'jpeg' if ext == 'jpg' else ext}")
    disposition = f"attachment; filename*=UTF-8''{quote(name or 'tep-dinh-kem')}"
    return web.Response(body=data, content_type="application/octet-stream",
                        headers={"Content-Disposition": disposition})


def _back(request: web.Request) -> str:
    return _url(request, f"/{_id(request)}")


async def submit(request: web.Request) -> web.Response:
    broadcast_id = _id(request)
    return await views.act(request, lambda ctx, engine: post.submit_draft(ctx, broadcast_id), back=_back(request))


async def approve_now(request: web.Request) -> web.Response:
    broadcast_id = _id(request)
    return await views.act(request, lambda ctx, engine: post.approve_now_action(ctx, engine, broadcast_id),
                           back=_back(request))


async def approve_later(request: web.Request) -> web.Response:
    broadcast_id = _id(request)
    deps = views.deps_of(request)
    typed = str((await request.post()).get("when", ""))
    try:
        send_at = datetime.fromisoformat(typed).replace(tzinfo=ZoneInfo(deps.tz_name))
    except ValueError:
        send_at = None

    async def work(ctx: Any, engine: Any) -> list:
        if send_at is None:
            raise UserFacingError("broadcast_past_time")
        return await post.approve_at(ctx, broadcast_id, send_at)

    return await views.act(request, work, back=_back(request))


async def reject(request: web.Request) -> web.Response:
    broadcast_id = _id(request)
    reason = str((await request.post()).get("reason", ""))
    return await views.act(request, lambda ctx, engine: post.reject_content(ctx, broadcast_id, reason),
                           back=_back(request))


async def stop(request: web.Request) -> web.Response:
    broadcast_id = _id(request)
    return await views.act(request, lambda ctx, engine: post.stop_broadcast(ctx, broadcast_id), back=_back(request))


async def cancel(request: web.Request) -> web.Response:
    broadcast_id = _id(request)
    return await views.act(request, lambda ctx, engine: post.cancel_broadcast(ctx, broadcast_id),
                           back=_back(request))


# --------------------------------------------------------------------------- polls


async def new_poll(request: web.Request) -> web.Response:
    _require_province_admin(request)
    admin_units = views.admin_units(views.actor_of(request))
    return await _poll_page(request, Form(unit=admin_units[0].code if admin_units else ""), "")


async def _poll_page(request: web.Request, form: Form, options: str, error: str | None = None) -> web.Response:
    return await views.render(request, "content_poll_new.html", {
        "title": "Tạo khảo sát", "form": form, "options": options, "error": error,
        "max_question": polls.QUESTION_MAX_LENGTH, "min_options": polls.MIN_OPTIONS, "max_options": polls.MAX_OPTIONS,
        **await _audience_picker(request, form),
    }, page=PAGE, status=400 if error else 200)


async def create_poll(request: web.Request) -> web.Response:
    """A poll goes for approval exactly as /thamdo sends it."""
    data = await request.post()
    form = Form(text=str(data.get("question", "")), unit=str(data.get("unit", "")),
                roles=tuple(str(r) for r in data.getall("roles", [])))
    options = str(data.get("options", ""))
    spec = post.audience_of({"unit": form.unit, "q:roles": list(form.roles)})

    async def again(message: str) -> web.Response:
        return await _poll_page(request, form, options, message)

    return await views.act(
        request, lambda ctx, engine: poll_handlers.submit_poll(ctx, form.text, options.splitlines(), spec),
        back=_url(request), refused=again if _is_province_admin(request) else None,
    )



async def poll_results(request: web.Request) -> web.Response:
    """A poll's votes per option (an SVG chart) and per unit of the voters."""
    _require_province_admin(request)
    deps = views.deps_of(request)
    async with deps.session_factory() as session:
        try:
            results = await polls.results(session, _id(request))
        except UserFacingError:
            raise web.HTTPNotFound() from None
    poll, total = results.poll, results.total
    shares = [f"{n} · {round(100 * n / total) if total else 0}%" for n in results.counts]
    top = max(results.counts, default=0) or 1
    bars, height = charts.hbars([(o, n, "info") for o, n in zip(poll.options, results.counts, strict=True)],
                                notes=shares, maximum=top * 1.25)  # room for the figure beside the longest bar
    by_unit = [(unit, [counts.get(i, 0) for i in range(len(poll.options))])
               for unit, counts in sorted(results.by_unit.items())]
    return await views.render(request, "content_poll.html", {
        "title": f"Khảo sát số {poll.id}", "poll": poll, "total": total, "bars": bars, "height": height,
        "rows": list(zip(poll.options, results.counts, shares, strict=True)), "by_unit": by_unit,
        "closed": poll.status == "closed",
    }, page=PAGE)


def add_routes(app: web.Application) -> None:
    app.router.add_get(BASE, show)
    app.router.add_get(f"{BASE}/soan", compose)
    app.router.add_post(f"{BASE}/soan", save)
    app.router.add_get(f"{BASE}/dem", count)
    app.router.add_get(f"{BASE}/tien-do", progress)
    app.router.add_get(BASE + r"/{id:\d+}", detail)
    app.router.add_get(BASE + r"/{id:\d+}/tep", media)
    for path, action in (("gui-duyet", submit), ("duyet", approve_now), ("hen-gio", approve_later),
                         ("tu-choi", reject), ("dung", stop), ("huy", cancel)):
        app.router.add_post(BASE + r"/{id:\d+}/" + path, action)
    app.router.add_get(BASE + r"/khao-sat/{id:\d+}", poll_results)
    app.router.add_get(f"{BASE}/khao-sat/moi", new_poll)
    app.router.add_post(f"{BASE}/khao-sat/moi", create_poll)
