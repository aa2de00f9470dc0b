"""Phản ánh & vụ việc: the feedback inbox (filters, search, pages of 50), each item with its
answer form or its urgent-issue button, and the board of urgent issues (open, acknowledged,
resolved) with acknowledge, reply and resolve.

Reads come from `bot.services.listening.inbox` (the reader's scope is decided there); every
action is the chat's own handler function run through `views.act`, so the sender gets the answer
in chat, the officer gets the notice, the other admins' copies are settled and all is audited.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.console.shared import views
from bot.core.numbers import typed_id
from bot.services.listening import feedback as listening
from bot.services.listening import inbox
from bot.services.people import units
from handlers import feedback
from handlers.answers import typed_text

PAGE = "listening"
BASE = "/quanly/phan-anh"  # the console is mounted at /quanly (server.PREFIX)
CONFIG = listening.load_config()
STATE_WORDS = {
    inbox.WAITING: "Chờ trả lời",
    inbox.ANSWERED: "Đã trả lời",
    listening.ESCALATED: "Đã chuyển thành vụ việc khẩn",
    inbox.ANONYMOUS: "Ẩn danh",
}
ISSUE_COLUMNS = (
    (listening.OPEN, "Mở", "bad"),
    (listening.ACKNOWLEDGED, "Đã tiếp nhận", "warn"),
    (listening.RESOLVED, "Đã giải quyết", "ok"),
)


# --------------------------------------------------------------------------- the inbox

def _local_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _bounds(request: web.Request) -> tuple[datetime | None, datetime | None]:
    """The "from" and "to" days (local, both included) as UTC instants, [since, until)."""
    tz = ZoneInfo(views.deps_of(request).tz_name)
    start, end = _local_day(request.query.get("tu")), _local_day(request.query.get("den"))
    since = datetime.combine(start, time(0), tzinfo=tz).astimezone(UTC) if start else None
    until = datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC) if end else None
    return since, until


def _page_number(request: web.Request) -> int:
    number = typed_id(request.query.get("trang", "1"))
    return number if number is not None and number > 0 else 1


async def show(request: web.Request) -> web.Response:
    actor = views.actor_of(request)
    query = request.query
    deps = views.deps_of(request)
    async with deps.session_factory() as session:
        choices = await units.in_subtrees(session, views.admin_units(actor))
        unit = next((u for u in choices if u.code == query.get("don_vi")), None)
        since, until = _bounds(request)
        wanted = inbox.InboxFilter(
            category=query.get("linh_vuc") or None, tone=query.get("thai_do") or None, unit=unit,
            since=since, until=until, text=(query.get("tim") or "").strip()[:100] or None,
            state=query.get("tinh_trang") if query.get("tinh_trang") in inbox.STATES else None,
        )
        found = await inbox.inbox(session, actor, wanted, _page_number(request))
        counts = await inbox.issue_counts(session, actor)
    kept = {k: v for k, v in query.items() if k != "trang" and v}
    return await views.render(request, "listening.html", {
        "title": "Phản ánh & vụ việc", "tab": "inbox", "found": found, "filters": query,
        "categories": CONFIG.categories, "tones": CONFIG.tones, "states": STATE_WORDS, "units": choices,
        "root_level": min((u.level for u in choices), default=0),
        "category_label": CONFIG.category_label, "tone_label": CONFIG.tone_label,
        "open_issues": counts[listening.OPEN], "filtered": bool(kept),
        "next_url": f"{BASE}?{urlencode(kept | {'trang': found.page + 1})}",
        "previous_url": f"{BASE}?{urlencode(kept | {'trang': found.page - 1})}",
    }, page=PAGE)


async def _feedback_in_scope(request: web.Request) -> inbox.FeedbackDetail:
    feedback_id = typed_id(request.match_info["id"])
    if feedback_id is None:
        raise web.HTTPNotFound()
    async with views.deps_of(request).session_factory() as session:
        detail = await inbox.feedback_detail(session, feedback_id)
    if detail is None:
        raise web.HTTPNotFound()
    views.require_scope(views.actor_of(request), detail.unit)
    return detail


async def show_feedback(request: web.Request) -> web.Response:
    detail = await _feedback_in_scope(request)
    actor = views.actor_of(request)
    return await views.render(request, "listening_feedback.html", {
        "title": f"Phản ánh {detail.item.reference}", "tab": "inbox", "d": detail, "item": detail.item,
        "category": CONFIG.category_label(detail.item.category), "tone": CONFIG.tone_label(detail.item.tone),
        "may_answer": listening.can_answer(actor, detail.unit), "max_length": CONFIG.text_max_length,
        "escalated": detail.item.status == listening.ESCALATED or detail.issue is not None,
    }, page=PAGE)


async def answer(request: web.Request) -> web.Response:
    detail = await _feedback_in_scope(request)
    text = str((await request.post()).get("noi_dung", ""))
    return await views.act(
        request, lambda ctx, engine: feedback.send_answer(ctx, detail.item.id, typed_text(feedback.ANSWER_TEXT, text)),
        back=f"{BASE}/y-kien/{detail.item.id}",
    )


async def escalate(request: web.Request) -> web.Response:
    detail = await _feedback_in_scope(request)
    return await views.act(request, lambda ctx, engine: feedback.escalate_feedback(ctx, detail.item.id),
                           back=f"{BASE}/y-kien/{detail.item.id}")


async def photo(request: web.Request) -> web.StreamResponse:
    """A photo sent with the feedback, fetched from the platform that received it."""
    detail = await _feedback_in_scope(request)
    index = typed_id(request.match_info["n"])
    photos = detail.item.photos or []
    fetch = views.deps_of(request).dispatcher.config.fetch_file
    if index is None or not 1 <= index <= len(photos) or fetch is None:
        raise web.HTTPNotFound()
    chosen = photos[index - 1]
    try:
        data = await fetch(chosen["platform"], chosen["file_id"])
    except Exception:  # the platform no longer has it (files expire), or it is not reachable now
        raise web.HTTPNotFound() from None
    kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    return web.Response(body=data, content_type=kind)


# --------------------------------------------------------------------------- urgent issues

async def show_board(request: web.Request) -> web.Response:
    actor = views.actor_of(request)
    async with views.deps_of(request).session_factory() as session:
        board = await inbox.issue_board(session, actor)
    return await views.render(request, "listening_board.html", {
        "title": "Vụ việc khẩn", "tab": "board", "board": board, "columns": ISSUE_COLUMNS,
        "category_label": CONFIG.category_label, "open_issues": board.counts[listening.OPEN],
    }, page=PAGE)


async def _issue_in_scope(request: web.Request) -> inbox.IssueCard:
    issue_id = typed_id(request.match_info["id"])
    if issue_id is None:
        raise web.HTTPNotFound()
    actor = views.actor_of(request)
    async with views.deps_of(request).session_factory() as session:
        card = await inbox.issue_card(session, actor, issue_id)
    if card is None:
        raise web.HTTPNotFound()
    views.require_scope(actor, card.issue.unit)
    return card


async def show_issue(request: web.Request) -> web.Response:
    card = await _issue_in_scope(request)
    return await views.render(request, "listening_issue.html", {
        "title": f"Vụ việc khẩn {card.issue.reference}", "tab": "board", "card": card, "issue": card.issue,
        "category": CONFIG.category_label(card.issue.category), "columns": ISSUE_COLUMNS,
        "max_length": CONFIG.text_max_length, "open_issues": None,
    }, page=PAGE)


def _back(request: web.Request, issue_id: int) -> str:
    """Back to the board when the action was taken there, else to the issue."""
    if request.query.get("ve") == "bang":
        return f"{BASE}/vu-viec"
    return f"{BASE}/vu-viec/{issue_id}"


async def acknowledge(request: web.Request) -> web.Response:
    card = await _issue_in_scope(request)
    return await views.act(request, lambda ctx, engine: feedback.acknowledge_action(ctx, engine, card.issue.id),
                           back=_back(request, card.issue.id))


async def resolve(request: web.Request) -> web.Response:
    card = await _issue_in_scope(request)
    return await views.act(request, lambda ctx, engine: feedback.resolve_action(ctx, engine, card.issue.id),
                           back=_back(request, card.issue.id))


async def reply(request: web.Request) -> web.Response:
    card = await _issue_in_scope(request)
    text = str((await request.post()).get("noi_dung", ""))
    return await views.act(
        request, lambda ctx, engine: feedback.reply_to_issue(ctx, card.issue.id, typed_text(feedback.ANSWER_TEXT, text)),
        back=_back(request, card.issue.id),
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/phan-anh", show)
    app.router.add_get("/phan-anh/y-kien/{id}", show_feedback)
    app.router.add_get("/phan-anh/y-kien/{id}/anh/{n}", photo)
    app.router.add_post("/phan-anh/y-kien/{id}/tra-loi", answer)
    app.router.add_post("/phan-anh/y-kien/{id}/khan", escalate)
    app.router.add_get("/phan-anh/vu-viec", show_board)
    app.router.add_get("/phan-anh/vu-viec/{id}", show_issue)
    app.router.add_post("/phan-anh/vu-viec/{id}/tiep-nhan", acknowledge)
    app.router.add_post("/phan-anh/vu-viec/{id}/giai-quyet", resolve)
    app.router.add_post("/phan-anh/vu-viec/{id}/tra-loi", reply)
