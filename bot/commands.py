"""What the CLI subcommands do. Each opens the database once and commits at the end."""

from __future__ import annotations

import argparse
import logging
import sys
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import KetNoiApp
from bot.core.clock import utc_now
from bot.core.errors import UserFacingError
from bot.core.messages import CommandMenuEntry
from bot.core.periods import Period
from bot.core.sending import SendError
from bot.core.storable import storable
from bot.logs import setup_logging
from bot.services.pages import links as page_links
from bot.services.pages.sealing import SealError, TokenBox
from bot.services.people import invites, mailbox, people, units
from bot.services.people.people import Actor
from bot.settings import Settings
from bot.signals import wait_for_stop_signal
from broadcasts import approval as broadcast_service
from broadcasts.audience import Audience
from broadcasts.summary import build_summary
from handlers import texts
from handlers.broadcast_texts import summary_text
from handlers.registry import build_catalogue
from storage.db import make_engine, make_session_factory, wait_for_database
from storage.migrate import upgrade
from storage.models import Role

log = logging.getLogger(__name__)


class OperatorError(Exception):
    """A mistake at the command line: printed as one line, exit code 2."""


@asynccontextmanager
async def _session(settings: Settings):
    """A migrated database and one transaction for a CLI command."""
    engine = make_engine(settings.database_url)
    try:
        await wait_for_database(engine, wait_seconds=settings.database_wait_seconds)
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
    setup_logging(settings.log_level, settings.secrets(), settings.log_format)
    await _database_reachable(settings)  # before anything else starts (or logs that it does)
    app = KetNoiApp(settings)
    await app.start()
    try:
        await wait_for_stop_signal()
    finally:
        await app.stop()
    return 0


async def _database_reachable(settings: Settings) -> None:
    """Wait up to DATABASE_WAIT_SECONDS for the database; `DatabaseUnreachable` if it never comes."""
    engine = make_engine(settings.database_url)
    try:
        await wait_for_database(engine, wait_seconds=settings.database_wait_seconds)
    finally:
        await engine.dispose()


async def run_demo(settings: Settings, args: argparse.Namespace) -> int:
    from bot.demo import run_demo as demo

    return await demo(settings)


async def db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    engine = make_engine(settings.database_url)
    try:
        await wait_for_database(engine, wait_seconds=settings.database_wait_seconds)
        await upgrade(engine)
    finally:
        await engine.dispose()
    print("database is at the latest schema")
    return 0


async def units_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.action == "email":
        return await units_email(settings, args)
    return await units_import(settings, args)


async def units_email(settings: Settings, args: argparse.Namespace) -> int:
    """Set (checked, normalised) or clear a unit's mailbox; says whether mail is on at all."""
    try:
        async with _session(settings) as session:
            unit = await _unit(session, args.unit)
            stored = await mailbox.set_unit_email(
                session, unit, None if args.clear else args.address, now=utc_now()
            )
            name = unit.name
    except mailbox.InvalidAddress as exc:
        raise OperatorError(f"not an e-mail address: {exc}") from None
    print(f"{name} ({args.unit}): " + (f"mail goes to {stored}" if stored else "no mailbox"))
    if stored and settings.smtp_url is None:
        print("note: SMTP_URL is not set, so no mail is sent yet", file=sys.stderr)
    return 0


async def mail_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.action == "retry":
        return await mail_retry(settings, args)
    return await mail_status(settings, args)


async def mail_retry(settings: Settings, args: argparse.Namespace) -> int:
    from broadcasts.mail.outbox import retry_failed

    async with _session(settings) as session:
        unit_id = (await _unit(session, args.unit)).id if args.unit else None
        count = await retry_failed(session, utc_now(), unit_id)
    print(f"{count} failed mails queued again; the running service sends them within a minute")
    return 0


async def mail_status(settings: Settings, args: argparse.Namespace) -> int:
    """Counts by status, then each failed mail: when, which unit, what, and the server's reason."""
    from broadcasts.mail.outbox import mail_status as status

    async with _session(settings) as session:
        counts, failed = await status(session)
    print(", ".join(f"{counts.get(s, 0)} {s}" for s in ("pending", "sent", "failed")))
    tz = ZoneInfo(settings.tz_name)
    for mail in failed:
        print(f"{mail.created_at.astimezone(tz):%Y-%m-%d %H:%M}\tunit {mail.unit_code}\t{mail.kind} {mail.subject_key}"
              f"\t{mail.attempts} tries\t{mail.reason}")
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
            full_name=args.name,
            now=now,
        )
        await people.grant_role(session, person, unit, args.role, granted_by=None, now=now)
        menu = build_catalogue().menu(await people.load_actor(session, args.platform, str(args.user_id)))
    print(f"{args.platform}:{args.user_id} is {args.role} of {unit.name} ({unit.code})")
    if args.platform == "telegram":
        await _show_menu(settings, str(args.user_id), menu)
    return 0


async def _show_menu(settings: Settings, chat_id: str, menu: tuple[CommandMenuEntry, ...]) -> None:
    """Give the person their role's Telegram command menu now, as registering in the chat does.

    Best effort, after the role is committed: when Telegram cannot be asked (no token, never
    written to, unreachable) a warning says so, and the menu comes with the person's next /start
    (the chat sets it for anyone registered). Zalo has no command menu.
    """
    later = "it is set when they send /start to the bot"
    if settings.telegram_bot_token is None:
        print(f"warning: command menu not set (no TELEGRAM_BOT_TOKEN); {later}", file=sys.stderr)
        return
    from bot.channels.telegram.menus import set_chat_menu  # python-telegram-bot only when needed

    try:
        await set_chat_menu(settings.telegram_bot_token.get_secret_value(), settings.telegram_api_base_url,
                            chat_id, menu)
    except SendError as exc:
        print(f"warning: command menu not set ({exc}); {later}", file=sys.stderr)
        return
    print(f"their Telegram command menu now has {len(menu)} commands")


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
    from bot.services.reporting import export  # openpyxl only for the command that needs it

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


def refusal_text(refusal: UserFacingError) -> str:
    """A service's refusal in the chat's Vietnamese words, on one line."""
    return " ".join(texts.refusal_text(refusal).split())


# --------------------------------------------------------------------------- broadcasts

AUDIENCE_USAGE = (
    "use --audience unit:CODE[,unit:CODE...][,role:ROLE...][,chats][,pages], e.g. unit:86 (everyone), "
    f"unit:86,role:member,chats,pages; roles: {', '.join(Role)}"
)


def parse_audience(spec: str) -> Audience:
    """`unit:86,unit:29641,role:member,chats` as an `Audience`; anything else is an OperatorError.

    `role:` narrows who in the units' subtrees receives it; without one, every person there receives
    it, whatever their role (`unit:86` is the whole province). `chats` adds the units' linked groups
    and channels, `pages` their linked Facebook Pages.
    """
    codes: list[str] = []
    roles: list[str] = []
    chats = pages = False
    for item in (part.strip() for part in spec.split(",")):
        kind, _, value = item.partition(":")
        if item == "chats":
            chats = True
        elif item == "pages":
            pages = True
        elif kind == "unit" and value.strip():
            codes.append(value.strip())
        elif kind == "role" and value in set(Role):
            roles.append(value)
        else:
            raise OperatorError(f"bad audience item {item!r}; {AUDIENCE_USAGE}")
    if not codes:
        raise OperatorError(f"audience {spec!r} needs a unit; {AUDIENCE_USAGE}")
    if not roles:
        roles = [role.value for role in Role]
    return Audience(units=tuple(dict.fromkeys(codes)), roles=tuple(dict.fromkeys(roles)),
                    include_linked_chats=chats, include_pages=pages)


def parse_actor(value: str) -> tuple[str, str]:
    """`telegram:123` or `zalo:abc` as (platform, user id)."""
    platform, _, user_id = value.partition(":")
    if platform not in ("telegram", "zalo") or not user_id or user_id != user_id.strip():
        raise OperatorError(f"bad --as {value!r}; use telegram:USER_ID or zalo:USER_ID")
    return platform, user_id


def parse_time(value: str, tz: ZoneInfo) -> datetime:
    """An ISO 8601 time in UTC; a time without an offset is read in `tz`."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise OperatorError(f"bad --at {value!r}; use ISO 8601, e.g. 2026-11-27T07:30 or 2026-11-27T07:30+07:00") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).astimezone(UTC)


async def _actor(session: AsyncSession, who: tuple[str, str]) -> Actor:
    actor = await people.load_actor(session, *who)
    if not actor.registered:
        raise OperatorError(f"no one is registered as {who[0]}:{who[1]}")
    return actor


def _content(args: argparse.Namespace) -> str:
    """The content as typed or read, cleaned as chat text is (a file may hold NUL; see `bot.core.storable`)."""
    if args.file is None:
        return storable(args.text)
    try:
        return storable(args.file.read_text(encoding="utf-8"))
    except (OSError, UnicodeError) as exc:
        raise OperatorError(f"cannot read {args.file}: {getattr(exc, 'strerror', None) or exc}") from None


async def broadcast(settings: Settings, args: argparse.Namespace) -> int:
    """`broadcast create|approve|send|status`: the broadcast service under the chat's rules.

    The running service's outbox finds released deliveries by itself (it looks every few seconds)
    and its scheduler releases scheduled ones; this command only changes the database.
    """
    now = utc_now()
    if args.action == "status":
        async with _session(settings) as session:
            await broadcast_service.get(session, args.id)
            print(summary_text(await build_summary(session, args.id)))
        return 0
    who = parse_actor(args.actor)
    if args.action == "create":
        audience, content = parse_audience(args.audience), _content(args)
        if audience.include_pages and settings.page_token_key is None:
            raise OperatorError(
                "the audience includes pages, but PAGE_TOKEN_KEY is not set: this deployment cannot publish "
                "on Facebook Pages. Leave `pages` out, or set the key (python -m bot pages key) and link the Pages"
            )
        async with _session(settings) as session:
            actor = await _actor(session, who)
            item = await broadcast_service.create(
                session, actor, text=content, audience=audience, now=now, topic=args.topic
            )
            await broadcast_service.submit(session, actor, item.id, now=now)
            broadcast_id = item.id
        print(broadcast_id)
        return 0
    send_at = parse_time(args.at, settings.tz) if getattr(args, "at", None) else None
    async with _session(settings) as session:
        actor = await _actor(session, who)
        if args.action == "approve":
            await broadcast_service.approve(
                session, actor, args.id, now=now, allow_self_approval=settings.allow_self_approval
            )
            done = f"broadcast {args.id} approved; release it with: python -m bot broadcast send {args.id}"
        elif send_at is None:
            item = await broadcast_service.send_now(session, actor, args.id, now=now)
            done = f"broadcast {args.id} released to {item.recipients} recipients; the running service sends them"
        else:
            await broadcast_service.schedule(session, actor, args.id, send_at, now=now)
            local = send_at.astimezone(settings.tz).isoformat(timespec="minutes")
            done = f"broadcast {args.id} scheduled for {local} ({settings.tz_name})"
    print(done)
    return 0


# --------------------------------------------------------------------------- Facebook Pages


def token_box(settings: Settings) -> TokenBox:
    """The box that seals Page tokens; an OperatorError without a (good) PAGE_TOKEN_KEY."""
    if settings.page_token_key is None:
        raise OperatorError(
            "PAGE_TOKEN_KEY is not set: Page tokens are stored encrypted and need a key. "
            "Make one with `python -m bot pages key` and put it in the environment or .env"
        )
    try:
        return TokenBox(settings.page_token_key.get_secret_value())
    except SealError as exc:
        raise OperatorError(str(exc)) from None


def _read_token(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeError) as exc:
        raise OperatorError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None


async def pages(settings: Settings, args: argparse.Namespace) -> int:
    """`pages add|list|remove`: the units' Facebook Pages. Tokens are read from a file and never printed."""
    now = utc_now()
    if args.action == "add":
        box, token = token_box(settings), _read_token(args.token_file)
        async with _session(settings) as session:
            unit = await _unit(session, args.unit)
            link = await page_links.link_page(
                session, unit=unit, page_id=args.page_id, token=token, box=box, now=now, title=args.name
            )
        print(f"Page {link.page_id} linked to {unit.name} ({unit.code}); its token is stored encrypted")
        return 0
    if args.action == "remove":
        async with _session(settings) as session:
            removed = await page_links.unlink_page(session, args.page_id, now=now)
        if not removed:
            raise OperatorError(f"no linked Page {args.page_id}")
        print(f"Page {args.page_id} unlinked; its token is forgotten")
        return 0
    async with _session(settings) as session:
        links = await page_links.list_pages(session)
    if not links:
        print("no Page is linked; link one with: python -m bot pages add --unit CODE --page-id ID --token-file FILE")
    for link in links:
        state = "active"
        if link.broken:  # a Page that receives nothing is never listed as active, whatever stopped it
            since = f" since {link.stopped_at:%Y-%m-%d %H:%M} UTC" if link.stopped_at else ""
            state = f"broken{since}: {link.broken_reason or 'switched off (unreachable); relink it with a new token'}"
        print(f"{link.page_id}\t{link.title or '-'}\t{link.unit_code or '-'} {link.unit_name or ''}\t{state}")
    return 0


async def bot_username(settings: Settings) -> str | None:
    """The bot's username for deep links: from settings, else asked from Telegram (getMe)."""
    if settings.telegram_bot_username:
        return settings.telegram_bot_username
    if settings.telegram_bot_token is None:
        return None
    from bot.channels.telegram.identity import fetch_username

    return await fetch_username(settings.telegram_bot_token.get_secret_value(), settings.telegram_api_base_url)
