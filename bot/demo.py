"""`python -m bot demo`: KetNoi with no token and no set-up.

It seeds a SQLite demo province (Vĩnh Long, from vietnam-provinces) with a province admin, two
officers and a few members, runs the bot against the built-in Telegram emulator, and serves a
web chat on http://127.0.0.1:8080 where anyone can talk to the bot as one of those personas.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import KetNoiApp
from bot.clock import utc_now
from bot.emulator.telegram import TelegramEmulator
from bot.logs import setup_logging
from bot.services import people, units
from bot.settings import Settings
from handlers import texts

log = logging.getLogger(__name__)

DEMO_TOKEN = "123456:KETNOI-DEMO-TOKEN"  # noqa: S105 (the emulator's, not a real bot's)
DEMO_PROVINCE = 86
CHAT_PAGE = Path(__file__).parent / "emulator" / "static" / "chat.html"
SESSION_FACTORY = web.AppKey("session_factory", async_sessionmaker)


@dataclass(frozen=True)
class Persona:
    user_id: int
    name: str
    role: str | None  # None: not registered yet
    unit_code: str


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
                display_name=persona.name,
                full_name=persona.name,
                now=now,
            )
            await people.grant_role(session, person, unit, persona.role, granted_by=None, now=now)


async def _personas(request: web.Request) -> web.Response:
    session_factory = request.app[SESSION_FACTORY]
    listing = []
    async with session_factory() as session:
        for persona in PERSONAS:
            unit = await units.get_unit_by_code(session, persona.unit_code)
            role = texts.ROLE_NAMES[persona.role] if persona.role else "Chưa đăng ký"
            listing.append(
                {"user_id": persona.user_id, "name": persona.name, "role": role, "unit": unit.name if unit else ""}
            )
    return web.json_response(listing)


async def _page(request: web.Request) -> web.Response:
    return web.FileResponse(CHAT_PAGE)


def demo_settings(settings: Settings, emulator: TelegramEmulator) -> Settings:
    return settings.model_copy(
        update={
            "telegram_bot_token": SecretStr(DEMO_TOKEN),
            "telegram_api_base_url": emulator.base_url,
            "telegram_webhook_url": None,
            "telegram_webhook_secret": None,
        }
    )


async def build_demo(settings: Settings) -> tuple[KetNoiApp, TelegramEmulator]:
    """The demo app and its emulator, on one web server (the emulator under /tg)."""
    emulator = TelegramEmulator(DEMO_TOKEN)
    emulator.set_root(f"http://{settings.web_host}:{settings.web_port}/tg")
    for persona in PERSONAS:
        *family, given = persona.name.split()
        emulator.add_user(persona.user_id, given, last_name=" ".join(family))

    def configure(web_app: web.Application) -> None:
        web_app.add_subapp("/tg", emulator.make_app())
        web_app.router.add_get("/", _page)
        web_app.router.add_get("/demo/personas", _personas)

    app = KetNoiApp(demo_settings(settings, emulator), configure_web=configure)
    app.web.app[SESSION_FACTORY] = app.session_factory
    return app, emulator


async def start_demo(settings: Settings) -> tuple[KetNoiApp, TelegramEmulator]:
    app, emulator = await build_demo(settings)
    await app.start()
    await seed(app.session_factory)
    return app, emulator


async def run_demo(settings: Settings) -> int:
    from bot.cli import wait_for_stop_signal

    setup_logging(settings.log_level, [DEMO_TOKEN])
    app, emulator = await start_demo(settings)
    print(f"KetNoi demo: open {app.web.url} in a browser (Ctrl+C to stop)", flush=True)
    try:
        await wait_for_stop_signal()
    finally:
        await app.stop()
        await emulator.stop()
    return 0
