"""What the CLI subcommands do. Each opens the database once and commits at the end."""

from __future__ import annotations

import argparse
import logging
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import KetNoiApp
from bot.clock import utc_now
from bot.logs import setup_logging
from bot.services import invites, people, units
from bot.services.errors import UserFacingError
from bot.services.periods import Period
from bot.settings import Settings
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade

log = logging.getLogger(__name__)


class OperatorError(Exception):
    """A mistake at the command line: printed as one line, exit code 2."""


@asynccontextmanager
async def _session(settings: Settings):
    """A migrated database and one transaction for a CLI command."""
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with make_session_factory(engine)() as session, session.begin():
            yield session
    finally:
        await engine.dispose()


async def _unit(session: AsyncSession, code: str):
    unit = await units.get_unit_by_code(session, code)
    if unit is None:
        raise OperatorError(f"no unit with code {code}; import units first (python -m bot units import)")
    return unit


async def run_service(settings: Settings, args: argparse.Namespace) -> int:
    from bot.cli import wait_for_stop_signal

    setup_logging(settings.log_level, settings.secrets())
    app = KetNoiApp(settings)
    await app.start()
    try:
        await wait_for_stop_signal()
    finally:
        await app.stop()
    return 0


async def run_demo(settings: Settings, args: argparse.Namespace) -> int:
    from bot.demo import run_demo as demo

    return await demo(settings)


async def db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    print("database is at the latest schema")
    return 0


async def units_import(settings: Settings, args: argparse.Namespace) -> int:
    try:
        rows = (
            units.rows_from_vietnam_provinces(args.province)
            if args.province is not None
            else units.rows_from_csv(args.file)
        )
        async with _session(settings) as session:
            result = await units.import_units(session, rows, now=utc_now())
    except units.UnitImportError as exc:
        raise OperatorError(str(exc)) from None
    print(
        f"{len(rows)} units read: {result.added} added, {result.updated} updated, "
        f"{result.unchanged} unchanged"
    )
    return 0


async def admin_add(settings: Settings, args: argparse.Namespace) -> int:
    now = utc_now()
    async with _session(settings) as session:
        unit = await _unit(session, args.unit)
        person = await people.register(
            session,
            platform=args.platform,
            external_id=str(args.user_id),
            chat_id=str(args.user_id),
            display_name=None,
            full_name=args.name,
            now=now,
        )
        await people.grant_role(session, person, unit, args.role, granted_by=None, now=now)
    print(f"{args.platform}:{args.user_id} is {args.role} of {unit.name} ({unit.code})")
    return 0


async def invite_create(settings: Settings, args: argparse.Namespace) -> int:
    now = utc_now()
    try:
        async with _session(settings) as session:
            unit = await _unit(session, args.unit)
            codes = await invites.create_invites(
                session,
                actor=None,
                unit=unit,
                role=args.role,
                now=now,
                ttl=timedelta(days=settings.invite_ttl_days),
                count=args.count,
            )
    except UserFacingError as exc:
        raise OperatorError(f"cannot create invites: {exc.key} {exc.params}") from None
    username = await bot_username(settings)
    for code in codes:
        print(f"{code}\thttps://t.me/{username}?start={code}" if username else code)
    return 0


async def export_reports(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import export  # openpyxl only for the command that needs it

    try:
        period = Period.parse(args.period)
    except ValueError:
        raise OperatorError(f"not a period: {args.period!r}; use 2026-10, 2026-Q4, 2026-H2 or 2026") from None
    output: Path = args.output
    fmt = args.format or ("csv" if output.suffix.lower() == ".csv" else "xlsx")
    if not output.parent.is_dir():
        raise OperatorError(f"cannot write {output}: folder {output.parent} does not exist")
    try:
        async with _session(settings) as session:
            unit = await _unit(session, args.unit)
            summary = await export.export_reports(session, unit, period, fmt, output, tz_name=settings.tz_name)
    except OSError as exc:
        raise OperatorError(f"export to {output} failed: {exc.strerror or exc}") from None
    print(f"{summary.rows} rows written to {summary.path}")
    return 0


async def bot_username(settings: Settings) -> str | None:
    """The bot's username for deep links: from settings, else asked from Telegram (getMe)."""
    if settings.telegram_bot_username:
        return settings.telegram_bot_username
    if settings.telegram_bot_token is None:
        return None
    from bot.channels.telegram.identity import fetch_username

    return await fetch_username(settings.telegram_bot_token.get_secret_value(), settings.telegram_api_base_url)
