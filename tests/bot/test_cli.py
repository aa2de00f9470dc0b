"""The operator's command line, run as a real subprocess against the test database."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.emulator.telegram import TelegramEmulator
from handlers.flow import HandlerConfig
from handlers.registry import build_dispatcher
from storage.models import Invite, RoleAssignment, Unit
from tests.conftest import TRA_VINH_CSV
from tests.support import ChatUser, FakeClock

ROOT = Path(__file__).resolve().parents[2]


def cli(db_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL"))}
    environment.update({"DATABASE_URL": db_url, **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120, check=False,
    )


async def count(session_factory, stmt) -> int:
    async with session_factory() as session:
        return (await session.execute(stmt)).scalar_one()


async def test_units_import_province_twice_gives_125_units(db_url, session_factory):
    first = cli(db_url, "units", "import", "--province", "86")
    assert first.returncode == 0, first.stderr
    assert "125 added" in first.stdout
    second = cli(db_url, "units", "import", "--province", "86")
    assert "0 added, 0 updated, 125 unchanged" in second.stdout
    assert await count(session_factory, select(func.count()).select_from(Unit)) == 125


async def test_units_import_three_tier_csv(db_url, session_factory):
    result = cli(db_url, "units", "import", "--file", str(TRA_VINH_CSV))
    assert result.returncode == 0, result.stderr
    levels = await count(session_factory, select(func.max(Unit.level)))
    assert levels == 2
    assert await count(session_factory, select(func.count()).select_from(Unit)) == 114


async def test_admin_add_and_invite_create(db_url, session_factory):
    cli(db_url, "units", "import", "--province", "86")
    added = cli(db_url, "admin", "add", "--platform", "telegram", "--user-id", "555", "--unit", "86",
                "--role", "province_admin")
    assert added.returncode == 0, added.stderr
    assert await count(session_factory, select(func.count()).select_from(RoleAssignment)) == 1

    made = cli(db_url, "invite", "create", "--unit", "29641", "--role", "officer", "--count", "3",
               TELEGRAM_BOT_USERNAME="ketnoi_vl_bot")
    assert made.returncode == 0, made.stderr
    lines = made.stdout.strip().splitlines()
    assert len(lines) == 3
    for line in lines:
        code, link = line.split("\t")
        assert re.fullmatch(r"[A-Z2-9]{10}", code)
        assert link == f"https://t.me/ketnoi_vl_bot?start={code}"
    assert await count(session_factory, select(func.count()).select_from(Invite)) == 3


async def test_admin_add_gives_the_admin_their_command_menu_on_telegram(db_url, session_factory, now):
    """The admin's Telegram chat shows the province admin's commands at once, as after an invite."""
    emulator = TelegramEmulator("424242:TEST-token-for-the-cli")
    await emulator.start()
    try:
        emulator.add_user(555, "An")  # has written to the bot (to learn their id with /toi)
        env = {"TELEGRAM_BOT_TOKEN": "424242:TEST-token-for-the-cli", "TELEGRAM_API_BASE_URL": emulator.base_url}
        await asyncio.to_thread(cli, db_url, "units", "import", "--province", "86")
        added = await asyncio.to_thread(cli, db_url, "admin", "add", "--platform", "telegram", "--user-id", "555",
                                        "--unit", "86", "--role", "province_admin", **env)
        assert added.returncode == 0, added.stderr
        menu = {c["command"] for c in emulator.commands_for({"type": "chat", "chat_id": 555})}
        assert {"dangtin", "thamdo", "ketqua", "moi", "tiendo", "toi"} <= menu
        assert "baocao" not in menu  # officers' commands are not a province admin's

        stranger = await asyncio.to_thread(cli, db_url, "admin", "add", "--platform", "telegram", "--user-id",
                                           "556", "--unit", "86", **env)
        assert stranger.returncode == 0  # the role is granted; only the menu waits for their /start
        assert "command menu not set" in stranger.stderr and "/start" in stranger.stderr
        assert "424242:TEST" not in stranger.stderr + stranger.stdout
        assert await count(session_factory, select(func.count()).select_from(RoleAssignment)) == 2

        dispatcher = build_dispatcher(session_factory, HandlerConfig(), FakeClock(now))
        arriving = ChatUser(dispatcher, "556")  # as the warning says: their /start brings the menu
        await arriving.send("/start")
        assert {"dangtin", "thamdo", "moi"} <= {entry.command for entry in arriving.last.menu}
    finally:
        await emulator.stop()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TZ_NAME": "Mars/Olympus"}, "TZ_NAME: is not a known time zone"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL: must start with"),
        ({"TELEGRAM_BOT_TOKEN": "not a token"}, "TELEGRAM_BOT_TOKEN: does not look like a bot token"),
        ({"TELEGRAM_WEBHOOK_URL": "https://example.org/hook"}, "TELEGRAM_WEBHOOK_SECRET is not"),
    ],
)
def test_bad_settings_stop_with_one_clear_line(env, message):
    result = cli("sqlite+aiosqlite:///unused.db", "db", "upgrade", **env)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert message in result.stderr


async def test_unknown_unit_is_one_line_error(db_url):
    result = cli(db_url, "invite", "create", "--unit", "99999", "--role", "officer")
    assert result.returncode == 2
    assert "no unit with code 99999" in result.stderr
