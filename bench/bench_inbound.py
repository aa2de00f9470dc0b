"""Benchmark of handled updates through the Telegram emulator: speed, API calls per update, latency.

200 commune officers, 10 updates each (2,000 in all), taken round-robin so no chat is written to
twice in a second: a command (/trogiup), a guided flow (/baocao, the period pressed, two numbers
typed, two topics ticked, "Xong", one channel ticked) and /huy. Half are button presses, as in the
mix that cost 1.92 calls per update before issue #12 (a press used to cost a callback answer, an
edit that only removed the buttons, and the next question).

The real app runs in webhook mode, as in production: the emulator POSTs each update and waits for
the bot to answer it, so updates are handled one after another and the reply latency is the time
from the update's delivery to the webhook's answer (every reply is in by then). The emulator runs
in this process (a smaller, simpler set-up than bench_broadcast's; it costs the bot some CPU).

Printed, once with the emulator's flood limits off and once on (30 msg/s, 1/s per chat): updates/s,
Bot API calls per update (the callback answer that rides on the webhook response is no call), and
the latency p50/p95. On SQLite, and on PostgreSQL when TEST_DATABASE_URL or --pg URL is given.
No baseline runs here: the old press path (answer + button removal + reply) is gone from the code;
its figure, 3 calls per press, is printed as the ratio's reference.

Run: `.venv/bin/python bench/bench_inbound.py [--quick] [--pg postgresql+asyncpg://...]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402

from bot.app import KetNoiApp  # noqa: E402
from bot.emulator.telegram import TelegramEmulator  # noqa: E402
from bot.services.people import people, units  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage.db import make_engine, make_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Unit  # noqa: E402

TOKEN = "424242:BENCH-token"
SECRET = "bench-webhook-secret"
FIRST_PERSON = 500_000
OLD_PRESS_CALLS = 3  # answerCallbackQuery + editMessageReplyMarkup + the next question


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def prepare_database(url: str, people_count: int) -> None:
    """A migrated database (PostgreSQL: emptied first) with Vĩnh Long and one officer per person."""
    engine = make_engine(url)
    if url.startswith("postgresql"):
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await upgrade(engine)
    factory = make_session_factory(engine)
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    async with factory() as session, session.begin():
        await units.import_units(session, units.rows_from_vietnam_provinces(86), now=now)
        communes = (await session.scalars(select(Unit).where(Unit.level == 1).order_by(Unit.code))).all()
        for n in range(people_count):
            person = await people.register(
                session, platform="telegram", external_id=str(FIRST_PERSON + n), chat_id=str(FIRST_PERSON + n),
                full_name=f"Cán bộ {n}", now=now,
            )
            await people.grant_role(session, person, communes[n % len(communes)], "officer", granted_by=None, now=now)
    await engine.dispose()


def button(emulator: TelegramEmulator, chat: int, label: str | None) -> tuple[int, str]:
    """The latest bot message's button with this label (None: its first button)."""
    for message in reversed(emulator.messages(chat)):
        for row in message["buttons"]:
            for b in row:
                if label is None or b["text"].removeprefix("✓ ") == label:
                    return message["message_id"], b["data"]
    raise RuntimeError(f"no button {label!r} in chat {chat}")


TOPICS = ("Trọng tâm: Nghị quyết Đại hội XIII và đại hội các cấp", "Nội dung khác")
# One person's ten updates: ("say", text) or ("press", label; None = the first button).
SCRIPT: tuple[tuple[str, str | None], ...] = (
    ("say", "/trogiup"), ("say", "/baocao"), ("press", None), ("say", "12"), ("say", "350"),
    ("press", TOPICS[0]), ("press", TOPICS[1]), ("press", "Xong"), ("press", None), ("say", "/huy"),
)


async def run(url: str, people_count: int, *, limits: bool) -> dict:
    """One scenario: a fresh database, the emulator, the app; the script played round-robin."""
    await prepare_database(url, people_count)
    emulator = TelegramEmulator(TOKEN, bot_username="ketnoi_bench_bot", enforce_limits=limits)
    await emulator.start()
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None, database_url=url, telegram_bot_token=TOKEN, telegram_api_base_url=emulator.base_url,
            telegram_webhook_url=f"http://127.0.0.1:{port}/telegram/webhook", telegram_webhook_secret=SECRET,
            zalo_bot_token=None, zalo_state_dir=Path(folder) / "zalo", public_base_url=f"http://127.0.0.1:{port}",
            web_port=port,
        )
        app = KetNoiApp(settings)
        await app.start()
        try:
            for n in range(people_count):
                emulator.add_user(FIRST_PERSON + n, f"Người {n}")
            calls_before = len(emulator.api_calls())
            latencies: list[float] = []
            kinds: Counter[str] = Counter()
            started = time.perf_counter()
            for act, value in SCRIPT:
                for n in range(people_count):
                    chat = FIRST_PERSON + n
                    t0 = time.perf_counter()
                    if act == "say":
                        await emulator.send_text(chat, value or "")
                    else:
                        message_id, data = button(emulator, chat, value)
                        await emulator.press_button(chat, message_id, data)
                    latencies.append(time.perf_counter() - t0)
                    kinds[act] += 1
            elapsed = time.perf_counter() - started
            calls = emulator.api_calls()[calls_before:]
        finally:
            await app.stop()
            await emulator.stop()
    updates = len(latencies)
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "updates": updates, "presses": kinds["press"], "seconds": elapsed, "per_second": updates / elapsed,
        "calls_per_update": len(calls) / updates, "by_method": Counter(calls), "p50": cuts[49], "p95": cuts[94],
        "throttled": emulator.throttled_count,
    }


def report(label: str, r: dict) -> None:
    old = (r["updates"] - r["presses"] + OLD_PRESS_CALLS * r["presses"]) / r["updates"]
    print(f"  {label}: {r['updates']} updates ({r['presses']} presses) in {r['seconds']:.1f} s = "
          f"{r['per_second']:.0f} updates/s; {r['calls_per_update']:.2f} calls/update "
          f"(old press path ≈ {old:.2f}, ratio {r['calls_per_update'] / old:.2f}); "
          f"latency p50 {r['p50'] * 1000:.0f} ms, p95 {r['p95'] * 1000:.0f} ms; 429s: {r['throttled']}")
    print("    calls: " + ", ".join(f"{name} {count}" for name, count in sorted(r["by_method"].items())))


async def main(options: argparse.Namespace) -> None:
    people_count = 20 if options.quick else 200
    databases: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as folder:
        databases.append(("SQLite", f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"))
        pg = options.pg or os.environ.get("TEST_DATABASE_URL")
        if pg:
            databases.append(("PostgreSQL", pg))
        for name, url in databases:
            print(f"{name}: {people_count} people × {len(SCRIPT)} updates, webhook mode")
            for limits in (False, True):
                fresh = url.replace(".db", f"-{int(limits)}.db") if url.startswith("sqlite") else url
                report("limits on " if limits else "limits off", await run(fresh, people_count, limits=limits))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20 people instead of 200, for a smoke run")
    parser.add_argument("--pg", metavar="URL", help="also on this PostgreSQL database (it is emptied)")
    asyncio.run(main(parser.parse_args()))
