"""Benchmark of one token's sending budget: a broadcast while people chat, against Telegram's limits.

The whole app (`KetNoiApp`, webhook mode, as `python -m bot run` builds it) sends a broadcast to
10,000 members while 200 officers chat with it; the Telegram emulator runs in its own process
(as in bench_broadcast) enforcing 30 msg/s overall and 1/s per private chat, and delivers each
person's message to the webhook as Telegram does, concurrently with the others'. A person writes
again 15-45 s (30 on average) after the bot answered them, so the 200 write about 6-7 updates a
second: /trogiup, /toi, /hannop, /baocao, /huy, a greeting.

Printed, for the app as it is (one `SendBudget` per token, replies first) and for the baseline
(the old separate limiters, rebuilt in this process: PTB's AIORateLimiter on the replies, the
outbox's own pacer, 30/s each):
  the emulator's 429 answers; recipients reached exactly once, twice or more (dupes), never
  (missing); most messages the emulator accepted in any one second; the reply latency p50/p95
  (from the person's message to the webhook's answer: every reply is in by then) during the
  broadcast; how long the broadcast took.
Targets: 0 × 429, every recipient once, reply p95 under 1.5 s.

Run: `.venv/bin/python bench/bench_service.py [--quick] [--only budget|baseline] [--paid]
[--pg postgresql+asyncpg://…/empty_db]` (about 8-9 minutes a run at 30/s, as measured; `--quick`: 1,000
members and 50 people, about a minute a run; `--paid`: Telegram's paid broadcasts, 1,000/s, on both sides).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiohttp import ClientSession, ClientTimeout, web  # noqa: E402
from sqlalchemy import text  # noqa: E402

import bot.app  # noqa: E402
from bench.bench_broadcast import max_in_window, release, seed  # noqa: E402
from bot.app import KetNoiApp  # noqa: E402
from bot.channels.telegram.channel import TelegramChannel  # noqa: E402
from bot.emulator.telegram import TelegramEmulator  # noqa: E402
from bot.services.people import people, units  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage.db import make_engine, make_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Role  # noqa: E402

TOKEN = "424242:BENCH-token"
SECRET = "bench-webhook-secret"
FIRST_MEMBER = 100_000  # bench_broadcast.seed's numbering
FIRST_PERSON = 500_000
SCRIPT = ("/trogiup", "/toi", "/hannop", "/baocao", "/huy", "Xin chào")
THINK = (15.0, 45.0)  # seconds a person waits after the bot's answer before writing again


# --------------------------------------------------------------------------- the emulator process


async def serve_emulator(members: int, chatters: int, paid: bool) -> None:
    """Child process: the emulator with limits on, the people, and /_bench/ routes."""
    emu = TelegramEmulator(
        TOKEN, bot_username="ketnoi_bench_bot", enforce_limits=True, overall_per_second=1000 if paid else 30
    )
    for offset in range(members):
        emu.add_user(FIRST_MEMBER + offset, "M")
    for admin in (1, 2):
        emu.add_user(admin, "Admin")
    for n in range(chatters):
        emu.add_user(FIRST_PERSON + n, f"Người {n}")
    accepted: list[tuple[float, int]] = []
    for method in ("sendmessage", "sendphoto", "senddocument"):
        name, original = emu._api[method]

        async def recording(params, original=original):
            result = await original(params)
            accepted.append((time.monotonic(), int(params["chat_id"])))
            return result

        emu._api[method] = (name, recording)

    async def say(request: web.Request) -> web.Response:
        """A person writes; the update goes to the webhook at once, beside the others' (as Telegram
        delivers them), not behind them in the emulator's one queue."""
        body = await request.json()
        user, chat = emu._speaker(int(request.match_info["user_id"]), None)
        words = str(body["text"])
        content: dict = {"text": words}
        if words.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(words.split()[0])}]
        message = await emu._store(chat, user, content)
        ok = await emu._post_to_webhook({"update_id": emu._next_update_id(), "message": copy.deepcopy(message)})
        return web.json_response({"ok": ok})

    async def stats(_request: web.Request) -> web.Response:
        to_members: dict[int, int] = {}
        for _, chat in accepted:
            if FIRST_MEMBER <= chat < FIRST_MEMBER + members:
                to_members[chat] = to_members.get(chat, 0) + 1
        return web.json_response({
            "accepted": len(accepted),
            "throttled": emu.throttled_count,
            "reached": len(to_members),
            "dupes": sum(1 for count in to_members.values() if count > 1),
            "missing": members - len(to_members),
            "max_per_second": max_in_window([t for t, _ in accepted], 1.0),
            "calls": len(emu.calls),
        })

    app = emu.make_app()
    app.router.add_post(r"/_bench/say/{user_id:\d+}", say)
    app.router.add_get("/_bench/stats", stats)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
    await asyncio.Event().wait()


class EmulatorProcess:
    def __init__(self, members: int, chatters: int, paid: bool) -> None:
        args = [sys.executable, __file__, "--serve-emulator", str(members), str(chatters)]
        if paid:
            args.append("--paid")
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        self.root = self.process.stdout.readline().strip()
        self.base_url = f"{self.root}/bot"
        self.http: ClientSession | None = None

    async def open(self) -> None:
        self.http = ClientSession(timeout=ClientTimeout(total=120))

    async def say(self, user_id: int, words: str) -> None:
        async with self.http.post(f"{self.root}/_bench/say/{user_id}", json={"text": words}) as response:
            if not (await response.json())["ok"]:
                raise RuntimeError("the webhook refused an update")

    async def stats(self) -> dict:
        async with self.http.get(f"{self.root}/_bench/stats") as response:
            return await response.json()

    async def close(self) -> None:
        if self.http is not None:
            await self.http.close()
        self.process.terminate()
        self.process.wait(timeout=10)


# --------------------------------------------------------------------------- the database


async def prepare(url: str, members: int, chatters: int) -> None:
    """A migrated database (PostgreSQL: emptied) with the members, two admins and the officers."""
    engine = make_engine(url)
    if url.startswith("postgresql"):
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await upgrade(engine)
    factory = make_session_factory(engine)
    await seed(factory, members)
    now = datetime.now(UTC)
    async with factory() as session, session.begin():
        commune = await units.get_unit_by_code(session, "C1")
        for n in range(chatters):
            person = await people.register(
                session, platform="telegram", external_id=str(FIRST_PERSON + n), chat_id=str(FIRST_PERSON + n),
                full_name=f"Cán bộ {n}", now=now,
            )
            await people.grant_role(session, person, commune, Role.OFFICER, granted_by=None, now=now)
    await engine.dispose()


# --------------------------------------------------------------------------- one run


@contextmanager
def separate_limiters():
    """The baseline: the reply path keeps PTB's own AIORateLimiter, so the outbox's budget is its own."""

    def channel(**options):
        options.pop("budget", None)
        return TelegramChannel(**options)

    with mock.patch.object(bot.app, "TelegramChannel", channel):
        yield


async def chat(emulator: EmulatorProcess, person: int, latencies: list[float], stop: asyncio.Event,
               rng: random.Random) -> None:
    """One person: writes, waits for the answer, thinks, writes again, until the broadcast is done."""
    step = rng.randrange(len(SCRIPT))
    with_think = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({with_think}, timeout=rng.uniform(0, THINK[1]))  # people start at random times
        while not stop.is_set():
            started = time.perf_counter()
            await emulator.say(person, SCRIPT[step % len(SCRIPT)])
            if not stop.is_set():
                latencies.append(time.perf_counter() - started)
            step += 1
            await asyncio.wait({with_think}, timeout=rng.uniform(*THINK))
    finally:
        with_think.cancel()


async def run(url: str, members: int, chatters: int, *, baseline: bool, paid: bool) -> dict:
    await prepare(url, members, chatters)
    emulator = EmulatorProcess(members, chatters, paid)
    await emulator.open()
    port = _free_port()
    try:
        with tempfile.TemporaryDirectory() as folder:
            settings = Settings(
                _env_file=None, database_url=url, telegram_bot_token=TOKEN, telegram_api_base_url=emulator.base_url,
                telegram_webhook_url=f"http://127.0.0.1:{port}/telegram/webhook", telegram_webhook_secret=SECRET,
                zalo_bot_token=None, zalo_state_dir=Path(folder) / "zalo", public_base_url=f"http://127.0.0.1:{port}",
                web_port=port, telegram_paid_broadcast=paid,
            )
            if baseline:
                with separate_limiters():
                    app = KetNoiApp(settings)
            else:
                app = KetNoiApp(settings)
            await app.start()
            try:
                latencies: list[float] = []
                stop = asyncio.Event()
                rng = random.Random(15)
                people_tasks = [
                    asyncio.create_task(chat(emulator, FIRST_PERSON + n, latencies, stop, rng)) for n in range(chatters)
                ]
                await asyncio.sleep(THINK[1])  # everyone is chatting before the broadcast starts
                calls_before = (await emulator.stats())["calls"]
                started = time.perf_counter()
                await release(app.session_factory)
                app.outbox.wake()
                # The emulator is another process: nothing to wait on but its answer.
                while (stats := await emulator.stats())["reached"] < members:  # noqa: ASYNC110
                    await asyncio.sleep(1.0)
                duration = time.perf_counter() - started
                stop.set()
                await asyncio.gather(*people_tasks)
                stats = await emulator.stats()
            finally:
                await app.stop()
    finally:
        await emulator.close()
    cuts = statistics.quantiles(latencies, n=100)
    return {
        **stats, "duration": duration, "replies": len(latencies), "p50": cuts[49], "p95": cuts[94],
        "max_latency": max(latencies), "calls_during": stats["calls"] - calls_before,
    }


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def report(label: str, r: dict, members: int) -> None:
    print(f"  {label}:")
    print(f"    429 answers: {r['throttled']}; most messages accepted in one second: {r['max_per_second']}")
    print(f"    recipients reached {r['reached']:,} of {members:,}: dupes {r['dupes']}, missing {r['missing']}")
    print(f"    broadcast took {r['duration']:.1f} s ({members / r['duration']:.1f} recipients/s)")
    print(f"    {r['replies']} updates answered during it ({r['replies'] / r['duration']:.1f}/s): reply latency "
          f"p50 {r['p50'] * 1000:.0f} ms, p95 {r['p95'] * 1000:.0f} ms, max {r['max_latency'] * 1000:.0f} ms")


def verdicts(r: dict) -> None:
    print(f"    {'PASS' if r['throttled'] == 0 else 'FAIL'} 0 × 429")
    print(f"    {'PASS' if r['dupes'] == r['missing'] == 0 else 'FAIL'} every recipient once")
    print(f"    {'PASS' if r['p95'] < 1.5 else 'FAIL'} reply p95 under 1.5 s")


async def main(options: argparse.Namespace) -> None:
    members, chatters = (1_000, 50) if options.quick else (10_000, 200)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; emulator in its own process, limits on"
          f"{' (paid broadcasts: 1,000/s)' if options.paid else ' (30/s, 1/s per chat)'}")
    print(f"{members:,} recipients, {chatters} people chatting (each writes 15-45 s after an answer)")
    with tempfile.TemporaryDirectory(prefix="ketnoi-bench-") as folder:
        results = {}
        for name in options.only:
            url = options.pg or f"sqlite+aiosqlite:///{Path(folder) / f'{name}.db'}"
            results[name] = await run(url, members, chatters, baseline=name == "baseline", paid=options.paid)
            report("one budget per token (this code)" if name == "budget" else
                   "baseline: separate limiters (AIORateLimiter on replies, the outbox's own pacer)",
                   results[name], members)
            if name == "budget":
                verdicts(results[name])
            print(json.dumps({name: results[name]}), flush=True)
        if {"budget", "baseline"} <= results.keys():
            ours, old = results["budget"], results["baseline"]
            print(f"  ratios (this / baseline): 429s {ours['throttled']} vs {old['throttled']}; "
                  f"p95 {ours['p95'] / old['p95']:.2f}×; broadcast duration {ours['duration'] / old['duration']:.2f}×")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 members and 50 people, for a smoke run")
    parser.add_argument("--only", nargs="+", default=["budget", "baseline"], choices=["budget", "baseline"])
    parser.add_argument("--paid", action="store_true", help="Telegram's paid broadcasts (1,000/s) on both sides")
    parser.add_argument("--pg", metavar="URL", help="on this PostgreSQL database instead of SQLite (it is emptied)")
    parser.add_argument("--serve-emulator", nargs=2, type=int, metavar=("MEMBERS", "CHATTERS"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve_emulator is not None:
        asyncio.run(serve_emulator(*options.serve_emulator, options.paid))
    else:
        asyncio.run(main(options))
