"""`python -m bot demo`: KetNoi with no token and no set-up.

It seeds a SQLite demo province (Vĩnh Long, from vietnam-provinces) with a province admin, two
officers and a few members, runs the bot against the built-in Telegram and Zalo emulators (both
in this one process, as `run` does with both tokens), publishes on two emulated Facebook Pages
(the province's and Cái Nhum's, shown at /demo/fanpage), and serves a web chat on
http://127.0.0.1:8080 where anyone can talk to the bot as one of those personas, on either
platform: each persona has a Telegram and a Zalo account, linked to the same person.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import KetNoiApp
from bot.core.clock import utc_now
from bot.core.forms import current_form
from bot.core.periods import Period, PeriodKind, Schedule
from bot.core.sending import SendError
from bot.emulator.facebook import FacebookEmulator
from bot.emulator.telegram import TelegramEmulator
from bot.emulator.zalo import ZaloEmulator
from bot.logs import setup_logging
from bot.services.pages import links as page_links
from bot.services.pages.sealing import TokenBox
from bot.services.people import console_access, people, units
from bot.settings import Settings
from bot.signals import wait_for_stop_signal
from handlers import texts
from handlers.registry import build_catalogue
from storage.models import Identity, ProcessedUpdate, Report, ReportStatus, Unit

log = logging.getLogger(__name__)

DEMO_TOKEN = "123456:KETNOI-DEMO-TOKEN"  # noqa: S105 (the emulator's, not a real bot's)
DEMO_ZALO_TOKEN = "1459232241454765289:KETNOI-DEMO-ZALO"  # noqa: S105 (the emulator's too)
ZALO_EMULATOR = web.AppKey("zalo_emulator", ZaloEmulator)
FACEBOOK_EMULATOR = web.AppKey("facebook_emulator", FacebookEmulator)
DEMO_PROVINCE = 86
CHAT_PAGE = Path(__file__).parent / "emulator" / "static" / "chat.html"
FANPAGE_PAGE = Path(__file__).parent / "emulator" / "static" / "fanpage.html"
# The demo's Pages (Graph emulator under /fb): the province's and a commune's, each with its token.
DEMO_PAGES = (
    ("1000000000000086", "86", "Mặt trận Tổ quốc tỉnh Vĩnh Long", "EAAG-demo-page-token-tinh"),
    ("1000000000029641", "29641", "Mặt trận Tổ quốc xã Cái Nhum", "EAAG-demo-page-token-cai-nhum"),
)
# A fixed Fernet key, so a demo run again can open the tokens it stored (never use it for real Pages).
DEMO_PAGE_TOKEN_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"ketnoi-demo-pages").digest()).decode()
SESSION_FACTORY = web.AppKey("session_factory", async_sessionmaker)


@dataclass(frozen=True)
class Persona:
    user_id: int
    name: str
    role: str | None  # None: not registered yet
    unit_code: str

    @property
    def zalo_id(self) -> str:
        """The persona's Zalo account: 20 hex digits like Zalo's (chat.html computes the same)."""
        return zalo_id(self.user_id)


def zalo_id(user_id: int) -> str:
    return f"5a10{user_id:016d}"


PERSONAS = (
    Persona(9001, "Nguyễn Văn An", "province_admin", "86"),
    Persona(9002, "Trần Thị Bình", "officer", "29641"),
    Persona(9003, "Lê Văn Cường", "officer", "29653"),
    Persona(9004, "Phạm Thị Dung", "member", "29641"),
    Persona(9005, "Hoàng Văn Em", "member", "29641"),
    Persona(9006, "Võ Thị Phương", "member", "29653"),
    Persona(9007, "Đặng Văn Giang", None, "86"),
)


async def seed(session_factory: async_sessionmaker[AsyncSession]) -> None:
    """Idempotent: running the demo again keeps what people did in it."""
    now = utc_now()
    async with session_factory() as session, session.begin():
        await units.import_units(session, units.rows_from_vietnam_provinces(DEMO_PROVINCE), now=now)
        for persona in PERSONAS:
            if persona.role is None:
                continue
            unit = await units.get_unit_by_code(session, persona.unit_code)
            person = await people.register(
                session,
                platform="telegram",
                external_id=str(persona.user_id),
                chat_id=str(persona.user_id),
                full_name=persona.name,
                now=now,
            )
            await people.grant_role(session, person, unit, persona.role, granted_by=None, now=now)
            if await people.find_identity(session, "zalo", persona.zalo_id) is None:
                person.identities.append(Identity(  # the same person on Zalo, as /lienket would do
                    platform="zalo", external_id=persona.zalo_id, chat_id=persona.zalo_id,
                    created_at=now,
                ))
        await seed_last_month(session, now)
        await seed_pages(session, now)


async def seed_pages(session: AsyncSession, now) -> None:
    """The province's and Cái Nhum's Facebook Pages, linked with their demo tokens on the first run
    (later runs keep the links as they are, broken ones too, and write no audit row again)."""
    box = TokenBox(DEMO_PAGE_TOKEN_KEY)
    linked = {link.page_id for link in await page_links.list_pages(session)}
    for page_id, code, name, token in DEMO_PAGES:
        if page_id in linked:
            continue
        unit = await units.get_unit_by_code(session, code)
        await page_links.link_page(session, unit=unit, page_id=page_id, token=token, box=box, now=now, title=name)


async def seed_last_month(session: AsyncSession, now) -> None:
    """Last month's reports from most communes, so /tiendo, /xuat and /hannop have data to show.

    Deterministic (seeded) and only once; the demo officers' own communes are left for them.
    """
    period = Period.containing(PeriodKind.MONTH, now.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()).previous()
    if await session.scalar(select(Report.id).where(Report.period_key == period.key).limit(1)):
        return
    form = current_form()
    deadline = Schedule.load().deadline(period, "commune")
    rng = random.Random(period.key)
    own = {p.unit_code for p in PERSONAS}
    communes = (await session.scalars(select(Unit).where(Unit.level == 1).order_by(Unit.code))).all()
    for unit in communes:
        draw = rng.random()
        if unit.code in own or draw > 0.85:
            continue
        late = draw > 0.75
        answers = {q.key: rng.randint(0, 40) * (50 if q.key == "attendance" else 1) for q in form.questions
                   if q.summable}
        answers |= {"topics": ["kl21", "mttq"], "channels": ["hop", "zalo"], "difficulties": None,
                    "sentiment": "Nhân dân đồng tình, phấn khởi.", "photos": []}
        sent = deadline + timedelta(days=2) if late else deadline - timedelta(days=rng.randint(1, 5))
        session.add(Report(
            unit_id=unit.id, period_kind=period.kind, period_key=period.key, form_id=form.id,
            form_version=form.version, status=ReportStatus.SUBMITTED, answers=answers,
            submitted_answers=answers, deadline=deadline, late=late, submitted_at=sent,
            revision=1, created_at=now, updated_at=now,
        ))


async def registration(session: AsyncSession, user_id: int) -> dict[str, str]:
    """What the sidebar says about someone, read live: their roles and unit as stored now.

    A demo person has a Telegram account `user_id` and a Zalo account `zalo_id(user_id)`; they may
    register on either, so both are looked up. Someone not registered yet says so.
    """
    for platform, external_id in (("telegram", str(user_id)), ("zalo", zalo_id(user_id))):
        actor = await people.load_actor(session, platform, external_id)
        if actor.roles:
            return {
                "role": ", ".join(dict.fromkeys(texts.ROLE_NAMES[r.role] for r in actor.roles)),
                "unit": actor.roles[0].unit.name,
                "admin": console_access.may_use_console(actor),  # the page offers "Trang quản lý"
            }
    return {"role": texts.NOT_REGISTERED, "unit": "", "admin": False}


async def _personas(request: web.Request) -> web.Response:
    listing = []
    async with request.app[SESSION_FACTORY]() as session:
        for persona in PERSONAS:
            listing.append({
                "user_id": persona.user_id, "zalo_id": persona.zalo_id, "name": persona.name,
                **await registration(session, persona.user_id),
            })
    return web.json_response(listing)


async def _registrations(request: web.Request) -> web.Response:
    """`/demo/registrations?user=9001&user=9100`: the page asks again whenever the bot answers."""
    try:
        user_ids = [int(u) for u in request.query.getall("user", [])][:50]
    except ValueError:
        return web.json_response({"description": "user must be a number"}, status=400)
    async with request.app[SESSION_FACTORY]() as session:
        listing = [{"user_id": u, **await registration(session, u)} for u in user_ids]
    return web.json_response(listing)


async def _page(request: web.Request) -> web.Response:
    return web.FileResponse(CHAT_PAGE)


async def _fanpage(request: web.Request) -> web.Response:
    return web.FileResponse(FANPAGE_PAGE)


def demo_settings(settings: Settings, emulator: TelegramEmulator, zalo: ZaloEmulator | None = None,
                  facebook: FacebookEmulator | None = None) -> Settings:
    update: dict[str, object] = {
        "telegram_bot_token": SecretStr(DEMO_TOKEN),
        "telegram_api_base_url": emulator.base_url,
        "telegram_webhook_url": None,
        "telegram_webhook_secret": None,
        "broadcast_limits": False,  # the demo's emulators enforce no limits: a reply need not wait for one
    }
    if facebook is not None:
        update |= {"facebook_graph_api_base_url": facebook.base_url, "page_token_key": SecretStr(DEMO_PAGE_TOKEN_KEY)}
    if zalo is not None:
        database = Path(settings.database_url.removeprefix("sqlite+aiosqlite:///"))
        update |= {
            "zalo_bot_token": SecretStr(DEMO_ZALO_TOKEN),
            "zalo_api_base_url": zalo.base_url,
            "zalo_webhook_url": None,  # long polling, like Telegram in the demo
            "zalo_webhook_secret": None,
            "zalo_state_dir": database.parent / f"{database.stem}-zalo",
            "public_base_url": f"http://{settings.web_host}:{settings.web_port}",  # our QR codes and charts
        }
    return settings.model_copy(update=update)


async def build_demo(settings: Settings) -> tuple[KetNoiApp, TelegramEmulator]:
    """The demo app and its emulators, on one web server (Telegram's under /tg, Zalo's under /zl).

    The Zalo emulator is stopped with the web server (a sub-app); it is in `app.web.app[ZALO_EMULATOR]`.
    """
    emulator = TelegramEmulator(DEMO_TOKEN)
    emulator.set_root(f"http://{settings.web_host}:{settings.web_port}/tg")
    zalo = ZaloEmulator(DEMO_ZALO_TOKEN)
    zalo.set_root(f"http://{settings.web_host}:{settings.web_port}/zl")
    for persona in PERSONAS:
        *family, given = persona.name.split()
        emulator.add_user(persona.user_id, given, last_name=" ".join(family))
        zalo.add_user(persona.zalo_id, persona.name)
    facebook = FacebookEmulator()
    facebook.set_root(f"http://{settings.web_host}:{settings.web_port}/fb")
    for page_id, _code, name, token in DEMO_PAGES:
        facebook.add_page(page_id, name, token)

    def configure(web_app: web.Application) -> None:
        web_app.add_subapp("/tg", emulator.make_app())
        web_app.add_subapp("/zl", zalo.make_app())
        web_app.add_subapp("/fb", facebook.make_app())
        web_app[ZALO_EMULATOR] = zalo
        web_app[FACEBOOK_EMULATOR] = facebook
        web_app.router.add_get("/demo/fanpage", _fanpage)
        web_app.router.add_get("/", _page)
        web_app.router.add_get("/demo/personas", _personas)
        web_app.router.add_get("/demo/registrations", _registrations)

    app = KetNoiApp(demo_settings(settings, emulator, zalo, facebook), configure_web=configure)
    app.web.app[SESSION_FACTORY] = app.session_factory
    return app, emulator


async def start_demo(settings: Settings) -> tuple[KetNoiApp, TelegramEmulator]:
    app, emulator = await build_demo(settings)
    await app.start()
    await seed(app.session_factory)
    emulator.continue_after(await last_update_id(app.session_factory))
    await show_menus(app)
    return app, emulator


async def last_update_id(session_factory: async_sessionmaker[AsyncSession]) -> int:
    """The highest Telegram update id the demo's database has handled (0 on a fresh one).

    The emulator counts from 1 at every start; run again on the same file, the demo must go on
    from here, or the bot would ignore the first messages as replays.
    """
    async with session_factory() as session:
        ids = await session.scalars(select(ProcessedUpdate.update_id).where(ProcessedUpdate.platform == "telegram"))
        return max((int(i) for i in ids if i.isdigit()), default=0)


async def show_menus(app: KetNoiApp) -> None:
    """Give each seeded persona their role's Telegram menu, as `admin add` does for a real admin.

    The seed registers them without a chat, so without this the page's "Menu" would list only the
    default (a stranger's) commands until the persona sent /start.
    """
    from bot.channels.telegram.menus import set_chat_menu

    catalogue = build_catalogue()
    async with app.session_factory() as session:
        for persona in PERSONAS:
            actor = await people.load_actor(session, "telegram", str(persona.user_id))
            if not actor.registered:
                continue
            try:
                await set_chat_menu(DEMO_TOKEN, app.settings.telegram_api_base_url, str(persona.user_id),
                                    catalogue.menu(actor))
            except SendError as exc:  # the demo still runs; the menu comes with the persona's /start
                log.warning("demo: no menu for %s: %s", persona.name, exc)


async def run_demo(settings: Settings) -> int:
    setup_logging(settings.log_level, [DEMO_TOKEN, DEMO_ZALO_TOKEN, DEMO_PAGE_TOKEN_KEY,
                                       *(token for *_, token in DEMO_PAGES)])
    app, emulator = await start_demo(settings)
    print(f"KetNoi demo: open {app.web.url} in a browser (Ctrl+C to stop)", flush=True)
    try:
        await wait_for_stop_signal()
    finally:
        await app.stop()
        await emulator.stop()
    return 0
