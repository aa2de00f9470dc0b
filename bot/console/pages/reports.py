"""Báo cáo: what waits for my review, a report with its answers, photos and changes, accept or
return it, a unit's history, the period's Excel file.

Reviewing goes through the chat's own handlers (`handlers.review`), run as the signed-in admin
by `views.act`: the same checks, the same notices to the unit's officers (with the button that
opens the returned report), the other admins' copies settled. Answers are written as the chat's
summary writes them (`handlers.questions.show_value`); the Excel file is the one /xuat sends.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.console.pages.overview import STATE_TONES, chosen_period, home_unit
from bot.console.shared import views
from bot.core.forms import Form
from bot.core.periods import Period
from bot.services.people.people import full_name_of
from bot.services.people.units import get_unit_by_code, search_units
from bot.services.reporting import reports
from bot.services.reporting.export import STATE_LABELS, workbook
from bot.services.reporting.rollup import state_of
from handlers import review
from handlers.questions import show_value
from storage.models import Report, ReportStatus

PAGE = "reports"
BASE = "/quanly/bao-cao"
WAITING_SHOWN = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SENT = (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED, ReportStatus.RETURNED)
IMAGE_TYPES = (  # what a photo's first bytes say it is; anything else is not shown as an image
    (b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"GIF8", "image/gif"),
)


def shown_answers(report: Report) -> dict[str, Any]:
    """What a reviewer reads: the answers as sent up (a returned report being corrected still
    shows what was returned); a draft's answers as they stand."""
    if report.status in SENT and report.submitted_answers is not None:
        return report.submitted_answers
    return report.answers


def _photos(form: Form, answers: dict[str, Any]) -> list[dict[str, str]]:
    return [
        photo for question in form.questions if question.type == "photos"
        for photo in answers.get(question.key) or () if isinstance(photo, dict)
    ]


def _state(report: Report) -> dict[str, str]:
    state = state_of(report.status, report.late)
    return {"label": STATE_LABELS[state], "tone": STATE_TONES[state]}


async def show(request: web.Request) -> web.Response:
    deps, actor = views.deps_of(request), views.actor_of(request)
    unit = home_unit(actor)
    period, offered = chosen_period(request)
    search = request.query.get("dv", "").strip()[:100]
    async with deps.session_factory() as session:
        waiting = await reports.waiting_for_review(session, actor, limit=WAITING_SHOWN)
        waiting_count = await reports.count_waiting_for_review(session, actor)
        found = await search_units(session, unit, search, limit=20) if search else []
    return await views.render(request, "reports.html", {
        "title": "Báo cáo", "unit": unit, "period": period, "periods": offered, "search": search, "found": found,
        "waiting": [(r, Period.parse(r.period_key), r.previous_answers is not None) for r in waiting],
        "waiting_count": waiting_count,
    }, page=PAGE)


async def _report_in_scope(request: web.Request, session: Any) -> Report:
    report = await reports.find_report(session, int(request.match_info["id"]))
    if report is None:
        raise web.HTTPNotFound()
    views.require_scope(views.actor_of(request), report.unit)
    return report


async def show_report(request: web.Request) -> web.Response:
    deps, actor = views.deps_of(request), views.actor_of(request)
    async with deps.session_factory() as session:
        report = await _report_in_scope(request, session)
        names = {
            "submitted_by": await full_name_of(session, report.submitted_by),
            "reviewed_by": await full_name_of(session, report.reviewed_by),
        }
    form = reports.form_of(report)
    answers = shown_answers(report)
    changes = reports.resubmission_changes(report)
    period = Period.parse(report.period_key)
    return await views.render(request, "report.html", {
        "title": f"Báo cáo {period.label} – {report.unit.name}",
        "report": report, "period": period, "state": _state(report), "names": names,
        "answers": [(question, show_value(question, answers[question.key]) if question.key in answers else "—")
                    for question in form.questions if question.type != "photos"],
        "photos": range(len(_photos(form, answers))),
        "changes": None if changes is None else [
            (form.question(c.key).label, show_value(form.question(c.key), c.before),
             show_value(form.question(c.key), c.after))
            for c in changes if any(q.key == c.key for q in form.questions)
        ],
        "can_review": report.status == ReportStatus.SUBMITTED and reports.can_review(actor, report.unit),
        "reason_max": review.REASON_MAX,
    }, page=PAGE)


async def photo(request: web.Request) -> web.StreamResponse:
    """A photo of a report, fetched from the platform it was sent on (it keeps the file)."""
    deps = views.deps_of(request)
    async with deps.session_factory() as session:
        report = await _report_in_scope(request, session)
    photos = _photos(reports.form_of(report), shown_answers(report))
    index = int(request.match_info["n"])
    if deps.fetch_file is None or index >= len(photos):
        raise web.HTTPNotFound()
    try:
        data = await deps.fetch_file(str(photos[index].get("platform")), str(photos[index].get("file_id")))
    except Exception:  # the platform no longer has it (or is not running here), or the entry is odd
        raise web.HTTPNotFound() from None
    kind = next((kind for magic, kind in IMAGE_TYPES if data.startswith(magic)), None)
    if kind is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        kind = "image/webp"
    if kind is None:
        raise web.HTTPNotFound()
    return web.Response(body=data, content_type=kind)


async def accept(request: web.Request) -> web.Response:
    report_id = await _review_target(request)
    return await views.act(request, lambda ctx, engine: review.accept_action(ctx, engine, report_id), back=BASE)


async def send_back(request: web.Request) -> web.Response:
    report_id = await _review_target(request)
    reason = (await request.post()).get("reason")
    text = reason if isinstance(reason, str) else ""
    return await views.act(
        request, lambda ctx, engine: review.return_with_reason(ctx, engine, report_id, text), back=BASE,
    )


async def _review_target(request: web.Request) -> int:
    """The report's id, once the person may see it at all (403 otherwise; the action checks the rest)."""
    async with views.deps_of(request).session_factory() as session:
        return (await _report_in_scope(request, session)).id


async def unit_history(request: web.Request) -> web.Response:
    deps, actor = views.deps_of(request), views.actor_of(request)
    async with deps.session_factory() as session:
        unit = views.require_scope(actor, await get_unit_by_code(session, request.match_info["code"]))
        found = await reports.history(session, unit)
    return await views.render(request, "report_history.html", {
        "title": f"Lịch sử báo cáo – {unit.name}", "unit": unit,
        "rows": [(r, Period.parse(r.period_key), _state(r)) for r in found],
    }, page=PAGE)


async def export(request: web.Request) -> web.StreamResponse:
    """The period's Excel file: the same file /xuat sends in the chat."""
    deps, actor = views.deps_of(request), views.actor_of(request)
    unit = home_unit(actor)
    period, _ = chosen_period(request)
    async with deps.session_factory() as session:
        document, _rows = await workbook(session, unit, period, deps.tz_name)
    return web.Response(body=document.data, content_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{document.file_name}"',
    })


def add_routes(app: web.Application) -> None:
    app.router.add_get("/bao-cao", show)
    app.router.add_get("/bao-cao/xuat", export)
    app.router.add_get(r"/bao-cao/{id:\d{1,9}}", show_report)
    app.router.add_get(r"/bao-cao/{id:\d{1,9}}/anh/{n:\d{1,2}}", photo)
    app.router.add_post(r"/bao-cao/{id:\d{1,9}}/chap-nhan", accept)
    app.router.add_post(r"/bao-cao/{id:\d{1,9}}/tra-lai", send_back)
    app.router.add_get("/bao-cao/don-vi/{code}", unit_history)
