"""The command line: `python -m bot {run,demo,db,units,mail,admin,invite,export,broadcast,pages,settings,diagrams}`.

Operators' words are English (this is a developer/operator tool); what it prints for people
to hand out (invite codes and links) is exactly what the bot itself shows.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.settings import Settings, SettingsError, load_settings, settings_table

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="KetNoi (Kết Nối) service")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the service (Telegram polling or webhook, web server)")
    demo = sub.add_parser("demo", help="seeded demo against the local emulator, web chat on :8080")
    demo.add_argument("--port", type=int, default=None, help="web port (default WEB_PORT, 8080)")
    demo.add_argument("--database", default="data/demo.db", help="SQLite file for the demo")

    db = sub.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade"])

    units = sub.add_parser("units", help="the unit tree")
    units_sub = units.add_subparsers(dest="action", required=True)
    imp = units_sub.add_parser("import", help="import or update units (idempotent)")
    source = imp.add_mutually_exclusive_group(required=True)
    source.add_argument("--province", type=int, help="GSO province code, from vietnam-provinces (e.g. 86)")
    source.add_argument("--file", type=Path, help="CSV with columns code,name,kind,parent_code")
    email = units_sub.add_parser("email", help="set or clear a unit's mailbox (urgent issues, digest, export)")
    email.add_argument("--unit", required=True, help="unit code")
    address = email.add_mutually_exclusive_group(required=True)
    address.add_argument("--address", help="the unit's e-mail address")
    address.add_argument("--clear", action="store_true", help="the unit gets no more e-mail")

    mail = sub.add_parser("mail", help="the units' mailboxes")
    mail_sub = mail.add_subparsers(dest="action", required=True)
    mail_sub.add_parser("status", help="how many mails are waiting, sent and failed; the failed ones' reasons")
    retry = mail_sub.add_parser("retry", help="send the failed mails again (after correcting an address or SMTP_URL)")
    retry.add_argument("--unit", default=None, help="only this unit's (code); default: all")

    admin = sub.add_parser("admin", help="bootstrap administrators")
    admin_sub = admin.add_subparsers(dest="action", required=True)
    add = admin_sub.add_parser("add", help="give a platform user a role at a unit")
    add.add_argument("--platform", choices=["telegram", "zalo"], required=True)
    add.add_argument("--user-id", required=True)
    add.add_argument("--unit", required=True, help="unit code")
    add.add_argument("--role", default="province_admin",
                     choices=["province_admin", "unit_admin", "officer", "member"])
    add.add_argument("--name", default=None, help="full name (optional)")

    invite = sub.add_parser("invite", help="invites")
    invite_sub = invite.add_subparsers(dest="action", required=True)
    create = invite_sub.add_parser("create", help="print single-use invites, one per line")
    create.add_argument("--unit", required=True, help="unit code")
    create.add_argument("--role", required=True, choices=["province_admin", "unit_admin", "officer", "member"])
    create.add_argument("--count", type=int, default=1)

    export = sub.add_parser("export", help="export data to a spreadsheet")
    export_sub = export.add_subparsers(dest="action", required=True)
    reports = export_sub.add_parser("reports", help="one period's reports of a unit's subtree, one row per unit")
    reports.add_argument("--period", required=True, help="period key: 2026-10, 2026-Q4, 2026-H2 or 2026")
    reports.add_argument("--unit", required=True, help="unit code: its subtree is exported (e.g. 86)")
    reports.add_argument("--format", choices=["xlsx", "csv"], default=None,
                         help="file format (default: from the output file's suffix, else xlsx)")
    reports.add_argument("-o", "--output", type=Path, required=True, help="file to write")

    broadcast = sub.add_parser("broadcast", help="outreach content, under the same rules as in the chat")
    broadcast_sub = broadcast.add_subparsers(dest="action", required=True)
    acting = argparse.ArgumentParser(add_help=False)
    acting.add_argument("--as", dest="actor", required=True, metavar="PLATFORM:ID",
                        help="who acts, under the chat's rules and in the audit log: telegram:USER_ID or "
                             "zalo:USER_ID of a registered province admin")
    draft = broadcast_sub.add_parser("create", parents=[acting], help="write and submit for approval; prints the id")
    content = draft.add_mutually_exclusive_group(required=True)
    content.add_argument("--text", help="the content")
    content.add_argument("--file", type=Path, help="UTF-8 text file with the content")
    draft.add_argument("--audience", required=True,
                        help="comma-separated: unit:CODE (one or more, with its subtree), then role:ROLE "
                             "(member, officer, ...), chats (the linked groups and channels) and/or "
                             "pages (the linked Facebook Pages); "
                             "with neither, every person of every role in the subtrees")
    draft.add_argument("--topic", choices=["focal", "regular"], default="regular")
    approve = broadcast_sub.add_parser("approve", parents=[acting], help="approve (not the author's own)")
    approve.add_argument("id", type=int)
    send = broadcast_sub.add_parser("send", parents=[acting], help="send an approved broadcast now or at a time")
    send.add_argument("id", type=int)
    send.add_argument("--at", default=None,
                      help="ISO 8601 time, e.g. 2026-11-27T07:30 (without an offset: in TZ_NAME)")
    status = broadcast_sub.add_parser("status", help="print the figures, in Vietnamese, as /trangthai does")
    status.add_argument("id", type=int)

    pages = sub.add_parser("pages", help="Facebook Pages linked to units (broadcasts with `pages` reach them)")
    pages_sub = pages.add_subparsers(dest="action", required=True)
    page_add = pages_sub.add_parser("add", help="link (or relink) a unit's Page; the token is stored encrypted")
    page_add.add_argument("--unit", required=True, help="unit code (e.g. 86 for the province's own Page)")
    page_add.add_argument("--page-id", required=True, help="the Page's numeric id")
    page_add.add_argument("--token-file", type=Path, required=True,
                          help="file holding the Page access token (kept off the command line and the shell history)")
    page_add.add_argument("--name", default=None, help="the Page's name, as shown in lists and summaries")
    pages_sub.add_parser("list", help="the linked Pages, with their unit and state (never the token)")
    page_remove = pages_sub.add_parser("remove", help="unlink a Page and forget its token")
    page_remove.add_argument("--page-id", required=True)
    pages_sub.add_parser("key", help="print a new PAGE_TOKEN_KEY")

    sub.add_parser("settings", help="list the settings with their defaults")
    sub.add_parser("diagrams", help="write each guided flow's state diagram, handlers/<flow>.mmd")
    return parser


def write_diagrams() -> int:
    """Regenerate the flows' diagrams from their definitions (no settings, no database)."""
    from handlers.diagrams import write_all
    from handlers.registry import build_flows

    for path in write_all(build_flows()):
        print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "settings":
        for name, default, help_text in settings_table():
            print(f"{name}\t{default}\t{help_text}")
        return 0
    if args.command == "diagrams":
        return write_diagrams()
    if args.command == "pages" and args.action == "key":
        from bot.services.pages.sealing import new_key

        print(new_key())
        return 0
    try:
        settings = load_settings(**_demo_overrides(args)) if args.command == "demo" else load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    from bot import commands  # heavy imports only once settings are known to be good
    from storage.db import DatabaseUnreachable

    handlers: dict[str, Callable[[Settings, argparse.Namespace], Awaitable[int]]] = {
        "run": commands.run_service,
        "demo": commands.run_demo,
        "db": commands.db_upgrade,
        "units": commands.units_command,
        "mail": commands.mail_command,
        "admin": commands.admin_add,
        "invite": commands.invite_create,
        "export": commands.export_reports,
        "broadcast": commands.broadcast,
        "pages": commands.pages,
    }
    try:
        return asyncio.run(handlers[args.command](settings, args))
    except DatabaseUnreachable as exc:
        print(exc, file=sys.stderr)
        return 1
    except commands.OperatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except commands.UserFacingError as exc:  # a refusal under the chat's rules, in the chat's words
        print(commands.refusal_text(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _demo_overrides(args: argparse.Namespace) -> dict[str, object]:
    overrides: dict[str, object] = {"database_url": f"sqlite+aiosqlite:///{args.database}"}
    if args.port is not None:
        overrides["web_port"] = args.port
    return overrides
