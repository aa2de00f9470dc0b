"""End-to-end fixtures: the whole KetNoi app over real HTTP, against the Telegram and Zalo emulators.

Every app process serves both platforms at once (as `python -m bot run` does with both tokens).
Tests that use `platform` run twice, once per platform: the `harness` gives them people on that
platform (`tests.integration.drivers`), and `seeded` registers the province admin there.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.app import KetNoiApp
from bot.emulator.telegram import TelegramEmulator
from bot.emulator.zalo import ZaloEmulator
from bot.services.people import people, units
from bot.settings import Settings
from tests.integration.drivers import ChatPerson, TelegramPerson, ZaloPerson, platform_id
from tests.support import FakeClock

TOKEN = "424242:TEST-token-for-the-emulator"
SECRET = "webhook-secret-for-tests"
ZALO_TOKEN = "1459232241454765289:TEST-zalo-token"
ZALO_SECRET = "zalo-webhook-secret-for-tests"
ADMIN_ID = 1001


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    emu = TelegramEmulator(TOKEN, bot_username="ketnoi_test_bot")
    await emu.start()
    emu.add_user(ADMIN_ID, "An", last_name="Nguyễn Văn")
    yield emu
    await emu.stop()


@pytest.fixture
async def zalo_emulator() -> AsyncIterator[ZaloEmulator]:
    emu = ZaloEmulator(ZALO_TOKEN)
    await emu.start()
    emu.add_user(platform_id("zalo", ADMIN_ID), "Nguyễn Văn An")
    yield emu
    await emu.stop()


@pytest.fixture
def clock(now) -> FakeClock:
    return FakeClock(now)


@pytest.fixture(params=["telegram", "zalo"])
def platform(request) -> str:
    """The platform the people of a test write from."""
    return request.param


@pytest.fixture
def make_settings(db_url, emulator, zalo_emulator, tmp_path: Path) -> Callable[..., Settings]:
    """Settings for one app process; webhook mode by default (replies are in when a send returns)."""
    port = free_port()

    def build(*, webhook: bool = True, telegram: bool = True, **overrides) -> Settings:
        extra = dict(overrides)
        if not telegram:  # Zalo only
            extra["telegram_bot_token"] = None
        if webhook:
            extra |= {
                "telegram_webhook_url": f"http://127.0.0.1:{port}/telegram/webhook",
                "telegram_webhook_secret": SECRET,
                "zalo_webhook_url": f"http://127.0.0.1:{port}/zalo/webhook",
                "zalo_webhook_secret": ZALO_SECRET,
            }
        values = {
            "telegram_bot_token": TOKEN,
            "telegram_api_base_url": emulator.base_url,
            "zalo_bot_token": ZALO_TOKEN,
            "zalo_api_base_url": zalo_emulator.base_url,
            "zalo_state_dir": tmp_path / "zalo",
            "public_base_url": f"http://127.0.0.1:{port}",
            "web_port": port,
            # These emulators enforce no limits, and the app's budget paces on the wall clock: a
            # two-message reply would wait a real second. Tests of the budget use a fake clock.
            "broadcast_limits": False,
        }
        return Settings(_env_file=None, database_url=db_url, **(values | extra))

    return build


@dataclass
class Harness:
    """The running app processes of a test, and its people on the test's platform."""

    platform: str
    telegram: TelegramEmulator
    zalo: ZaloEmulator
    apps: list[KetNoiApp] = field(default_factory=list)

    @property
    def app(self) -> KetNoiApp:
        return self.apps[-1]

    async def settle(self) -> None:
        """Wait until the latest app handled every Zalo event it accepted (Telegram's are synchronous)."""
        if self.apps and self.app.zalo is not None:
            await self.app.zalo.drain()

    def person(self, n: int, name: str | None = None, *, platform: str | None = None) -> ChatPerson:
        """Person number `n` (created in the emulator when `name` is given)."""
        platform = platform or self.platform
        if platform == "telegram":
            return TelegramPerson(self.telegram, n, name)
        return ZaloPerson(self.zalo, platform_id("zalo", n), self.settle, name)

    def id_of(self, n: int, platform: str | None = None) -> str:
        return platform_id(platform or self.platform, n)


@pytest.fixture
def harness(emulator, zalo_emulator, request) -> Harness:
    platform = request.getfixturevalue("platform") if "platform" in request.fixturenames else "telegram"
    return Harness(platform, emulator, zalo_emulator)


@pytest.fixture
async def start_app(make_settings, clock, harness) -> AsyncIterator[Callable[..., KetNoiApp]]:
    """Start (and at the end stop) KetNoi processes; a test may stop one and start another."""

    async def start(**kwargs) -> KetNoiApp:
        app = KetNoiApp(make_settings(**kwargs), clock=clock)
        await app.start()
        harness.apps.append(app)
        return app

    yield start
    for app in harness.apps:
        if app.web._runner is not None:
            await app.stop()


async def register(session_factory, clock, *, platform: str, n: int, name: str, unit_code: str, role: str) -> None:
    """Someone registered on `platform` with a role, as an operator (or an invite) would do it."""
    async with session_factory() as session, session.begin():
        unit = await units.get_unit_by_code(session, unit_code)
        person = await people.register(
            session, platform=platform, external_id=platform_id(platform, n), chat_id=platform_id(platform, n),
            full_name=name, now=clock(),
        )
        await people.grant_role(session, person, unit, role, granted_by=None, now=clock())


@pytest.fixture
async def seeded(session_factory, clock, harness) -> None:
    """Vĩnh Long and one province admin (person ADMIN_ID on the test's platform)."""
    async with session_factory() as session, session.begin():
        await units.import_units(session, units.rows_from_vietnam_provinces(86), now=clock())
    await register(session_factory, clock, platform=harness.platform, n=ADMIN_ID, name="Nguyễn Văn An",
                   unit_code="86", role="province_admin")
