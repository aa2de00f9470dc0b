"""Người dùng: who is registered where (counts by role per unit, each unit's people with their
roles, platforms and whether the bot reaches them), the units with no officer yet, and invites:
many at once (the chat's /moi rules and audit, `handlers.invite.create_for_units`) with an A4
sheet of QR codes per unit to print (PDF).

Citizens are counted, never listed: no name of theirs is stored, and they stay anonymous here.
"""

from __future__ import annotations

from aiohttp import web

from bot.console.shared import views
from bot.core.formatting import local_time
from bot.core.messages import Outgoing
from bot.core.numbers import typed_id
from bot.services.people import console_access, directory, invites, units
from handlers import invite
from handlers.flow import Context, FlowEngine
from handlers.invite_sheet import SheetInvite, sheet_pdf
from handlers.texts import INVITE_SHEET, PLATFORM_NAMES, ROLE_NAMES
from storage.models import Role, Unit

PAGE = "people"
BASE = "/quanly/nguoi-dung"  # the console is mounted at /quanly (server.PREFIX)
# The roles counted per unit, in this order, named as the chat names them.
COLUMNS = tuple((role, ROLE_NAMES[role]) for role in (Role.UNIT_ADMIN, Role.OFFICER, Role.MEMBER, Role.CITIZEN))
BULK_ROLES = [(role.value, ROLE_NAMES[role]) for role in invite.BULK_ROLES]


def _common() -> dict:
    return {"role_names": ROLE_NAMES, "platform_names": PLATFORM_NAMES, "columns": COLUMNS}


def _top(request: web.Request) -> Unit:
    """The highest unit the reader administers: where the page starts."""
    return min(views.admin_units(views.actor_of(request)), key=lambda u: (u.level, u.path))


async def show(request: web.Request) -> web.Response:
    return await _unit_page(request, _top(request))


async def show_unit(request: web.Request) -> web.Response:
    async with views.deps_of(request).session_factory() as session:
        unit = await units.get_unit_by_code(session, request.match_info["code"][:16])
    return await _unit_page(request, views.require_scope(views.actor_of(request), unit))


async def _unit_page(request: web.Request, unit: Unit) -> web.Response:
    actor = views.actor_of(request)
    page = typed_id(request.query.get("trang", "1")) or 1
    async with views.deps_of(request).session_factory() as session:
        counts = await directory.overview(session, unit)
        people = await directory.people_at(session, unit, page)
        trail = await directory.trail(session, actor, unit)
    return await views.render(request, "people.html", _common() | {
        "title": "Người dùng", "tab": "units", "unit": unit, "counts": counts, "people": people, "trail": trail,
        "missing": counts.total.without_officer if unit.id == _top(request).id else None,
    }, page=PAGE)


async def show_missing(request: web.Request) -> web.Response:
    actor = views.actor_of(request)
    async with views.deps_of(request).session_factory() as session:
        missing = await directory.without_officer(session, actor)
    return await views.render(request, "people_missing.html", _common() | {
        "title": "Đơn vị chưa có cán bộ", "tab": "missing", "missing_units": missing, "missing": len(missing),
        "roles": BULK_ROLES, "max_per_unit": invite.MAX_PER_UNIT,
    }, page=PAGE)


async def show_invite_form(request: web.Request) -> web.Response:
    """Every unit of the reader's scope to choose from; from a unit's page (`?don_vi=`), that
    unit's subtree, the unit already chosen."""
    actor = views.actor_of(request)
    chosen = set(request.query.getall("don_vi", []))
    async with views.deps_of(request).session_factory() as session:
        under = await units.get_unit_by_code(session, next(iter(chosen))[:16]) if len(chosen) == 1 else None
        roots = [under] if under is not None and views.in_scope(actor, under) else views.admin_units(actor)
        choices = await units.in_subtrees(session, roots)
        missing = await directory.without_officer(session, actor)
    return await views.render(request, "people_invite.html", _common() | {
        "title": "Tạo mã mời", "tab": "invite", "units": choices, "chosen": chosen, "missing": len(missing),
        "under": under if roots == [under] else None,
        "root_level": min((u.level for u in choices), default=0), "roles": BULK_ROLES,
        "max_per_unit": invite.MAX_PER_UNIT,
    }, page=PAGE)


async def create_invites(request: web.Request) -> web.Response:
    """Create the invites (the chat's rules: a unit outside one's subtree or a role one may not
    grant is refused) and show their codes once, with the PDF to print."""
    form = await request.post()
    codes = [str(c)[:16] for c in form.getall("don_vi", [])]
    role = str(form.get("vai_tro", ""))
    per_unit = typed_id(str(form.get("so_ma", "1"))) or 0
    issued: list[invite.Issued] = []

    async def work(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
        issued.extend(await invite.create_for_units(ctx, codes, role, per_unit))
        return [invite.bulk_created(issued, ctx)]

    done, message = await views.perform(request, work)
    if not done:
        deps, visit = views.deps_of(request), views.visit_of(request)
        async with deps.session_factory() as session, session.begin():
            await console_access.set_flash(session, visit, message)
        back = str(form.get("ve", ""))
        return views.redirect(back if back.startswith(f"{BASE}/") and "//" not in back else f"{BASE}/moi")
    return await views.render(request, "people_invites_created.html", _common() | {
        "title": "Mã mời vừa tạo", "tab": "invite", "issued": issued, "message": message, "missing": None,
    }, page=PAGE)


async def sheet(request: web.Request) -> web.Response:
    """The A4 sheet of QR codes for invites still usable, one page per unit (PDF download)."""
    deps, actor = views.deps_of(request), views.actor_of(request)
    codes = [str(c) for c in (await request.post()).getall("ma", [])]
    now = deps.clock()
    async with deps.session_factory() as session:
        usable = await invites.still_usable(session, codes, now)
    usable = [(code, found) for code, found in usable if views.in_scope(actor, found.unit)]  # others: as unknown
    if not usable:
        raise web.HTTPNotFound()
    config = deps.dispatcher.config
    pdf = sheet_pdf(
        [SheetInvite(found.unit.code, found.unit.name, found.role, code, invite.invite_link(config, code))
         for code, found in usable],
        platforms=config.platforms, bot_username=config.bot_username,
        expires=local_time(max(found.expires_at for _, found in usable), deps.tz_name),
    )
    name = INVITE_SHEET["file"].format(date=f"{now:%Y-%m-%d}")
    return web.Response(body=pdf, content_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/nguoi-dung", show)
    app.router.add_get("/nguoi-dung/don-vi/{code}", show_unit)
    app.router.add_get("/nguoi-dung/chua-co-can-bo", show_missing)
    app.router.add_get("/nguoi-dung/moi", show_invite_form)
    app.router.add_post("/nguoi-dung/moi", create_invites)
    app.router.add_post("/nguoi-dung/moi/pdf", sheet)
