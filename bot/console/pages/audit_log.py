"""Nhật ký: the audit log, newest first, 50 entries a page, filtered by person, unit, action and
date. Which entries a unit admin sees is the rule of `bot.services.people.audit_log` (entries by
people of their subtree or about its units); the words are `handlers.audit_texts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.console.shared import views
from bot.core.numbers import typed_id
from bot.services.people import audit_log, units
from bot.services.people.audit_log import AuditPage, AuditRow
from handlers import audit_texts as words
from handlers.texts import PLATFORM_NAMES, ROLE_NAMES

PAGE = "audit"
BASE = "/quanly/nhat-ky"  # the console is mounted at /quanly (server.PREFIX)


@dataclass(frozen=True)
class Line:
    """One entry as the page shows it."""

    at: datetime
    actor: str
    actor_id: int | None  # to filter by this person (none for the system or a citizen)
    action: str
    target: str
    details: list[tuple[str, str]]


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _filter(request: web.Request, unit: Any) -> audit_log.AuditFilter:
    query, tz = request.query, ZoneInfo(views.deps_of(request).tz_name)
    start, end = _day(query.get("tu")), _day(query.get("den"))
    return audit_log.AuditFilter(
        actor_id=typed_id(query.get("nguoi", "")) if query.get("nguoi") else None,
        actor_name=(query.get("ten") or "").strip()[:60] or None,
        unit=unit,
        action=query.get("viec") if query.get("viec") in words.ACTIONS else None,
        since=datetime.combine(start, time(0), tzinfo=tz).astimezone(UTC) if start else None,
        until=datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC) if end else None,
    )


async def show(request: web.Request) -> web.Response:
    actor = views.actor_of(request)
    query = request.query
    page_number = typed_id(query.get("trang", "1")) or 1
    async with views.deps_of(request).session_factory() as session:
        choices = await units.in_subtrees(session, views.admin_units(actor))
        unit = next((u for u in choices if u.code == query.get("don_vi")), None)
        wanted = _filter(request, unit)
        found = await audit_log.entries(session, actor, wanted, page_number)
        person = (await audit_log.people_in_log(session, [wanted.actor_id])) if wanted.actor_id else {}
    kept = {k: v for k, v in query.items() if k != "trang" and v}
    return await views.render(request, "audit_log.html", {
        "title": "Nhật ký", "lines": [_line(row, found) for row in found.rows], "found": found,
        "filters": query, "groups": words.ACTION_GROUPS, "units": choices,
        "root_level": min((u.level for u in choices), default=0), "filtered": bool(kept),
        "person": person.get(wanted.actor_id) if wanted.actor_id else None, "person_id": wanted.actor_id,
        "next_url": f"{BASE}?{urlencode(kept | {'trang': found.page + 1})}",
        "previous_url": f"{BASE}?{urlencode(kept | {'trang': found.page - 1})}",
        "without_person": f"{BASE}?{urlencode({k: v for k, v in kept.items() if k != 'nguoi'})}",
    }, page=PAGE)


def _line(row: AuditRow, found: AuditPage) -> Line:
    return Line(row.at, _actor(row), row.actor_id if row.actor_name else None,
                words.ACTIONS.get(row.action, row.action), _target(row), _details(row, found))


def _actor(row: AuditRow) -> str:
    if row.actor_id is None:
        return words.ACTORS["system"]
    if not row.actor_known:
        return words.ACTORS["forgotten"]
    return row.actor_name or words.ACTORS["citizen"]


def _target(row: AuditRow) -> str:
    target = row.target
    if target is None:
        return ""
    if target.kind == "account":
        return words.TARGETS["account"].format(label=PLATFORM_NAMES.get(target.key, target.key))
    if target.label is None or target.kind not in words.TARGETS:
        return words.TARGET_UNKNOWN.get(target.kind, "{key}").format(key=target.key)
    return words.TARGETS[target.kind].format(label=target.label, key=target.key, unit=target.unit_name or "")


def _details(row: AuditRow, found: AuditPage) -> list[tuple[str, str]]:
    shown = []
    for key, label in words.DETAILS.items():
        value = row.details.get(key)
        if value is None or value == "":
            continue
        if key == "role":
            value = ROLE_NAMES.get(str(value), value)
        elif key == "unit":
            value = found.unit_names.get(str(value), value)
        elif key == "platform":
            value = PLATFORM_NAMES.get(str(value), value)
        elif isinstance(value, bool):
            value = words.YES if value else words.NO
        shown.append((label, str(value)[:200]))
    if row.details.get("why"):
        shown.append((words.DETAILS["reason"], words.WHY.get(str(row.details["why"]), str(row.details["why"]))))
    return shown


def add_routes(app: web.Application) -> None:
    app.router.add_get("/nhat-ky", show)
