"""End-to-end fixtures: the whole KetNoi app, over real HTTP, against the Telegram emulator."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable

import pytest

from bot.app import KetNoiApp
from bot.emulator.telegram import TelegramEmulator
from bot.services import people, units
from bot.settings import Settings
from tests.support import FakeClock

TOKEN = "424242:TEST-token-for-the-emulator"
SECRET = "webhook-secret-for-tests"
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
def clock(now) -> FakeClock:
    return FakeClock(now)


@pytest.fixture
def make_settings(db_url, emulator) -> Callable[..., Settings]:
    """Settings for one app process; webhook mode by default (replies are in when a send returns)."""
    port = free_port()

    def build(*, webhook: bool = True) -> Settings:
        extra = {}
        if webhook:
            extra = {
                "telegram_webhook_url": f"http://127.0.0.1:{port}/telegram/webhook",
                "telegram_webhook_secret": SECRET,
            }
        return Settings(
            _env_file=None,
            database_url=db_url,
            telegram_bot_token=TOKEN,
            telegram_api_base_url=emulator.base_url,
            web_port=port,
            **extra,
        )

    return build


@pytest.fixture
async def start_app(make_settings, clock) -> AsyncIterator[Callable[..., KetNoiApp]]:
    """Start (and at the end stop) KetNoi processes; a test may stop one and start another."""
    running: list[KetNoiApp] = []

    async def start(**kwargs) -> KetNoiApp:
        app = KetNoiApp(make_settings(**kwargs), clock=clock)
        await app.start()
        running.append(app)
        return app

    yield start
    for app in running:
        if app.web._runner is not None:
            await app.stop()


@pytest.fixture
async def seeded(session_factory, clock) -> None:
    """Vĩnh Long and one province admin (Telegram user ADMIN_ID), as an operator would set up."""
    async with session_factory() as session, session.begin():
        await units.import_units(session, units.rows_from_vietnam_provinces(86), now=clock())
        unit = await units.get_unit_by_code(session, "86")
        person = await people.register(
            session, platform="telegram", external_id=str(ADMIN_ID), chat_id=str(ADMIN_ID),
            display_name="An", full_name="Nguyễn Văn An", now=clock(),
        )
        await people.grant_role(session, person, unit, "province_admin", granted_by=None, now=clock())


class TelegramUser:
    """A person in their private chat with the bot, acting through the emulator."""

    def __init__(self, emulator: TelegramEmulator, user_id: int) -> None:
        self.emulator = emulator
        self.user_id = user_id
        self.seen = len(emulator.messages(user_id))

    async def say(self, text: str) -> list[dict]:
        await self.emulator.send_text(self.user_id, text)
        return self.new_messages()

    async def press(self, label: str) -> list[dict]:
        """Press the button with this label on the latest bot message that has buttons."""
        for message in reversed(self.emulator.messages(self.user_id)):
            for row in message["buttons"]:
                for button in row:
                    if button["text"] == label:
                        await self.emulator.press_button(self.user_id, message["message_id"], button["data"])
                        return self.new_messages()
        raise AssertionError(f"no button {label!r} in chat {self.user_id}")

    def new_messages(self) -> list[dict]:
        messages = self.emulator.messages(self.user_id)
        fresh, self.seen = messages[self.seen :], len(messages)
        return fresh

    @staticmethod
    def text(messages: list[dict]) -> str:
        return "\n---\n".join((m.get("text") or m.get("caption") or "") for m in messages)
