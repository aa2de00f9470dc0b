"""Benchmark of the broadcast outbox against the Telegram emulator: speed, limits, memory.

The emulator runs in a *separate process* (this script with `--serve-emulator`): on a small
machine a Bot API fake in the same process would take half of the CPU the sender needs and
flatter whichever side yields more often; in its own process it behaves like a remote server
and every contestant meets the same one. It records when it accepted each message, so the
limits can be checked from the server's side.

  (1) limits off, 20,000 recipients: the real outbox (claims, sends through PTB on aiohttp,
      every result recorded in SQLite) against two baselines that record nothing:
      A = a plain default PTB Bot (HTTPX) in `asyncio.gather` of send_message (semaphore 256),
      B = the same loop on our `AiohttpRequest`. Targets: ≥ 1,500 msg/s, ≥ 4×A, ≥ 60 % of B.
  (2) the emulator enforcing 30 msg/s, 1/s per chat and 20/min per group: 25 group-only
      broadcasts to two groups, then one to 1,800 members; the groups' 21st message must wait
      its minute while members fill the pipe. Targets: ≥ 95 % of 30/s, zero 429, ≤ 20 per
      group in any minute.
  (3) 100,000 recipients, limits off, expansion and sending in a fresh process: peak memory
      (tracemalloc peak and the process's maximum resident size) under 200 MB.

Run: `.venv/bin/python bench/bench_broadcast.py [--quick]` (exit 0 whatever the result; PASS/FAIL
printed). `--quick` shrinks every scenario for a smoke run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiohttp import ClientSession, web  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402
from telegram import Bot  # noqa: E402

from bot.channels.telegram.aiohttp_request import AiohttpRequest  # noqa: E402
from bot.channels.telegram.outbox_bot import build_outbox_bot  # noqa: E402
from bot.channels.telegram.sender import TelegramSender  # noqa: E402
from bot.emulator.telegram import TelegramEmulator  # noqa: E402
from bot.services.people import people, units  # noqa: E402
from bot.services.people.units import UnitRow  # noqa: E402
from broadcasts import approval as broadcasts  # noqa: E402
from broadcasts.limits import Limits, SendBudget  # noqa: E402
from broadcasts.outbox import OutboxConfig, OutboxWorker  # noqa: E402
from storage.db import make_engine, make_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Delivery, DeliveryStatus, Identity, Person, Role, RoleAssignment, Unit  # noqa: E402

TOKEN = "424242:BENCH-token"
FIRST_MEMBER = 100_000
GROUPS = (-4001, -4002)
TEXT = "Kính gửi các đồng chí: Ủy ban MTTQ tỉnh thông báo lịch tiếp công dân tháng 12/2026."
SEMAPHORE = 256


# --------------------------------------------------------------------------- the emulator process


async def serve_emulator(users: int, enforce_limits: bool) -> None:
    """Child process: an emulator with `users` members and two groups, plus /_bench/ routes."""
    emu = TelegramEmulator(TOKEN, enforce_limits=enforce_limits)
    for offset in range(users):
        emu.add_user(FIRST_MEMBER + offset, "M")
    emu.add_user(1, "Tác giả")
    for group in GROUPS:
        emu.add_group(group, f"Nhóm {group}")
        await emu.add_bot_to_chat(1, group)
    accepted: list[tuple[float, int]] = []
    name, original = emu._api["sendmessage"]

    async def recording(params):
        result = await original(params)
        accepted.append((time.monotonic(), int(params["chat_id"])))
        return result

    emu._api["sendmessage"] = (name, recording)

    async def stats(_request: web.Request) -> web.Response:
        per_chat: dict[int, int] = {}
        for _, chat in accepted:
            per_chat[chat] = per_chat.get(chat, 0) + 1
        group_times = {g: [t for t, c in accepted if c == g] for g in GROUPS}
        return web.json_response(
            {
                "accepted": len(accepted),
                "throttled": emu.throttled_count,
                "calls": len(emu.calls),
                "chats": len(per_chat),
                "max_per_chat": max(per_chat.values(), default=0),
                "first": accepted[0][0] if accepted else None,
                "last": accepted[-1][0] if accepted else None,
                "max_per_second": max_in_window([t for t, _ in accepted], 1.0),
                "group_max_per_minute": max(max_in_window(ts, 60.0) for ts in group_times.values()),
                "group_messages": {str(g): len(ts) for g, ts in group_times.items()},
            }
        )

    async def reset(_request: web.Request) -> web.Response:
        accepted.clear()
        emu.calls.clear()
        emu._log.clear()
        emu.throttled_count = 0
        return web.json_response({"ok": True})

    app = emu.make_app()
    app.router.add_get("/_bench/stats", stats)
    app.router.add_post("/_bench/reset", reset)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
    await asyncio.Event().wait()


def max_in_window(times: list[float], period: float) -> int:
    times = sorted(times)
    best = start = 0
    for end, at in enumerate(times):
        while times[start] <= at - period:
            start += 1
        best = max(best, end - start + 1)
    return best


class EmulatorProcess:
    def __init__(self, users: int, *, enforce_limits: bool) -> None:
        args = [sys.executable, __file__, "--serve-emulator", str(users)]
        if enforce_limits:
            args.append("--limits")
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        self.root = self.process.stdout.readline().strip()
        self.base_url = f"{self.root}/bot"

    async def stats(self) -> dict:
        async with ClientSession() as http, http.get(f"{self.root}/_bench/stats") as response:
            return await response.json()

    async def reset(self) -> None:
        async with ClientSession() as http, http.post(f"{self.root}/_bench/reset") as response:
            await response.read()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


# --------------------------------------------------------------------------- the database


async def seed(session_factory, members: int, *, chunk: int = 5000) -> None:
    """Units, two province admins and `members` members of one commune, inserted in chunks."""
    now = datetime.now(UTC)
    async with session_factory() as session, session.begin():
        await units.import_units(
            session,
            [UnitRow("86", "Tỉnh Vĩnh Long", "tỉnh", None), UnitRow("C1", "Xã Một", "xã", "86")],
            now=now,
        )
        root = await units.get_unit_by_code(session, "86")
        for admin in (1, 2):
            person = await people.register(
                session,
                platform="telegram",
                external_id=str(admin),
                chat_id=str(admin),
                full_name=f"Admin {admin}",
                now=now,
            )
            await people.grant_role(session, person, root, Role.PROVINCE_ADMIN, granted_by=None, now=now)
        commune = await session.scalar(select(Unit.id).where(Unit.code == "C1"))
    for start in range(0, members, chunk):
        count = min(chunk, members - start)
        async with session_factory() as session, session.begin():
            ids = (
                (
                    await session.execute(
                        insert(Person).returning(Person.id),
                        [{"full_name": None, "consent_at": now, "created_at": now} for _ in range(count)],
                    )
                )
                .scalars()
                .all()
            )
            await session.execute(
                insert(Identity),
                [
                    {
                        "person_id": person_id,
                        "platform": "telegram",
                        "external_id": str(FIRST_MEMBER + start + i),
                        "chat_id": str(FIRST_MEMBER + start + i),
                        "created_at": now,
                    }
                    for i, person_id in enumerate(ids)
                ],
            )
            await session.execute(
                insert(RoleAssignment),
                [{"person_id": p, "unit_id": commune, "role": Role.MEMBER, "created_at": now} for p in ids],
            )


async def link_groups(session_factory) -> None:
    now = datetime.now(UTC)
    async with session_factory() as session, session.begin():
        admin = await people.load_actor(session, "telegram", "1")
        unit = await units.get_unit_by_code(session, "C1")
        for group in GROUPS:
            await broadcasts.record_chat_added(
                session, platform="telegram", chat_id=str(group), kind="group", title=None, now=now
            )
            await broadcasts.link_chat(
                session, admin, platform="telegram", chat_id=str(group), unit=unit, now=now
            )


async def release(session_factory, *, roles=(Role.MEMBER,), linked=False, text=TEXT) -> tuple[int, float]:
    """Create, approve and release a broadcast; returns its id and the seconds expansion took."""
    now = datetime.now(UTC)
    audience = broadcasts.Audience(units=("C1",), roles=roles, include_linked_chats=linked)
    async with session_factory() as session, session.begin():
        author = await people.load_actor(session, "telegram", "1")
        approver = await people.load_actor(session, "telegram", "2")
        item = await broadcasts.create(session, author, text=text, audience=audience, now=now)
        await broadcasts.submit(session, author, item.id, now=now)
        await broadcasts.approve(session, approver, item.id, now=now)
    started = time.perf_counter()
    async with session_factory() as session, session.begin():
        approver = await people.load_actor(session, "telegram", "2")
        await broadcasts.send_now(session, approver, item.id, now=now)
    return item.id, time.perf_counter() - started


async def fresh_database(folder: Path, name: str):
    engine = make_engine(f"sqlite+aiosqlite:///{folder / name}")
    await upgrade(engine)
    return engine, make_session_factory(engine)


async def count_sent(session_factory) -> int:
    async with session_factory() as session:
        return await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.status == DeliveryStatus.SENT)
        )


# --------------------------------------------------------------------------- scenario 1: speed


async def gather_loop(bot: Bot, chats: range, concurrency: int = SEMAPHORE) -> float:
    """A baseline: every message at once (bounded by a semaphore), nothing recorded."""
    gate = asyncio.Semaphore(concurrency)

    async def one(chat: int) -> None:
        async with gate:
            await bot.send_message(chat_id=chat, text=TEXT)

    started = time.perf_counter()
    await asyncio.gather(*(one(chat) for chat in chats))
    return len(chats) / (time.perf_counter() - started)


async def scenario_speed(folder: Path, members: int) -> dict:
    emulator = EmulatorProcess(members, enforce_limits=False)
    chats = range(FIRST_MEMBER, FIRST_MEMBER + members)
    try:
        default_bot = Bot(TOKEN, base_url=emulator.base_url)
        async with default_bot:
            rate_a = await gather_loop(default_bot, chats)
        assert (await emulator.stats())["accepted"] == members
        await emulator.reset()
        aiohttp_bot = Bot(
            TOKEN, base_url=emulator.base_url, request=AiohttpRequest(connection_pool_size=SEMAPHORE)
        )
        async with aiohttp_bot:
            rate_b = await gather_loop(aiohttp_bot, chats)
            assert (await emulator.stats())["accepted"] == members
            await emulator.reset()
            # The same loop at the outbox's concurrency, so the comparison cannot hide behind 256.
            rate_b_same = await gather_loop(aiohttp_bot, chats, OutboxConfig().concurrency)
        assert (await emulator.stats())["accepted"] == members
        await emulator.reset()

        engine, session_factory = await fresh_database(folder, "speed.db")
        await seed(session_factory, members)
        _, expansion = await release(session_factory)
        bot = build_outbox_bot(TOKEN, base_url=emulator.base_url, pacer=SendBudget(Limits(enabled=False)))
        async with bot:
            worker = OutboxWorker(session_factory, {"telegram": TelegramSender(bot)})
            started = time.perf_counter()
            await worker.drain()
            elapsed = time.perf_counter() - started
        stats = await emulator.stats()
        sent = await count_sent(session_factory)
        await engine.dispose()
    finally:
        emulator.stop()
    return {
        "members": members,
        "rate_a": rate_a,
        "rate_b": rate_b,
        "rate_b_same": rate_b_same,
        "rate_outbox": members / elapsed,
        "expansion_s": expansion,
        "outbox_s": elapsed,
        "accepted": stats["accepted"],
        "max_per_chat": stats["max_per_chat"],
        "recorded_sent": sent,
    }


# --------------------------------------------------------------------------- scenario 2: limits


async def scenario_limits(folder: Path, members: int, group_broadcasts: int) -> dict:
    emulator = EmulatorProcess(members, enforce_limits=True)
    try:
        engine, session_factory = await fresh_database(folder, "limits.db")
        await seed(session_factory, members)
        await link_groups(session_factory)
        for number in range(group_broadcasts):  # first, so their rows are claimed first
            await release(session_factory, roles=(), linked=True, text=f"Tin nhóm số {number + 1}")
        await release(session_factory)
        limits = Limits()
        bot = build_outbox_bot(TOKEN, base_url=emulator.base_url, pacer=(pacer := SendBudget(limits)))
        async with bot:
            worker = OutboxWorker(
                session_factory, {"telegram": TelegramSender(bot)}, pacers={"telegram": pacer}
            )
            started = time.perf_counter()
            await worker.drain()
            elapsed = time.perf_counter() - started
        stats = await emulator.stats()
        sent = await count_sent(session_factory)
        await engine.dispose()
    finally:
        emulator.stop()
    messages = members + group_broadcasts * len(GROUPS)
    span = stats["last"] - stats["first"]
    return {
        "messages": messages,
        "accepted": stats["accepted"],
        "recorded_sent": sent,
        "elapsed_s": elapsed,
        # n messages accepted over a span hold n-1 intervals: the rate the limit is about.
        "rate": (stats["accepted"] - 1) / span if span else 0.0,
        "limit": limits.overall_rate,
        "throttled": stats["throttled"],
        "max_per_second": stats["max_per_second"],
        "group_max_per_minute": stats["group_max_per_minute"],
        "group_messages": stats["group_messages"],
    }


# --------------------------------------------------------------------------- scenario 3: memory


async def seed_memory_database(folder: Path, members: int) -> None:
    engine, session_factory = await fresh_database(folder, "memory.db")
    await seed(session_factory, members)
    await engine.dispose()


async def scenario_memory(folder: Path, members: int) -> dict:
    """Runs in its own process on a database seeded by the parent: the resident size is the broadcast's."""
    emulator = EmulatorProcess(members, enforce_limits=False)
    try:
        engine = make_engine(f"sqlite+aiosqlite:///{folder / 'memory.db'}")
        session_factory = make_session_factory(engine)
        rss_before = peak_rss_mb()
        tracemalloc.start()
        started = time.perf_counter()
        _, expansion = await release(session_factory)
        bot = build_outbox_bot(TOKEN, base_url=emulator.base_url, pacer=SendBudget(Limits(enabled=False)))
        async with bot:
            worker = OutboxWorker(session_factory, {"telegram": TelegramSender(bot)})
            await worker.drain()
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        stats = await emulator.stats()
        sent = await count_sent(session_factory)
        await engine.dispose()
    finally:
        emulator.stop()
    return {
        "members": members,
        "accepted": stats["accepted"],
        "recorded_sent": sent,
        "expansion_s": expansion,
        "elapsed_s": elapsed,
        "tracemalloc_peak_mb": peak / 2**20,
        "maxrss_before_mb": rss_before,
        "maxrss_mb": peak_rss_mb(),
    }


# --------------------------------------------------------------------------- report


def peak_rss_mb() -> float:
    """This process's peak resident size. On Linux VmHWM, because ru_maxrss survives exec and
    would report the forking parent's size; elsewhere ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / 2**20 if sys.platform == "darwin" else maxrss / 1024  # bytes on macOS, KiB elsewhere


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report_speed(r: dict) -> None:
    print(f"\n(1) limits off, {r['members']:,} recipients")
    print(f"    baseline A, default PTB (HTTPX), gather, nothing recorded: {r['rate_a']:8.0f} msg/s")
    print(f"    baseline B, PTB on AiohttpRequest, gather, nothing recorded: {r['rate_b']:8.0f} msg/s")
    print(
        f"    (baseline B at the outbox's concurrency, {OutboxConfig().concurrency}: "
        f"{r['rate_b_same']:.0f} msg/s; outbox / that: {r['rate_outbox'] / r['rate_b_same']:.2f})"
    )
    print(
        f"    outbox, every delivery recorded in SQLite:                {r['rate_outbox']:8.0f} msg/s"
        f"  ({r['outbox_s']:.1f} s; expansion before it {r['expansion_s']:.2f} s)"
    )
    print(
        f"    delivered {r['accepted']:,}, recorded sent {r['recorded_sent']:,}, "
        f"most messages to one chat {r['max_per_chat']}"
    )
    ratio_a, ratio_b = r["rate_outbox"] / r["rate_a"], r["rate_outbox"] / r["rate_b"]
    print(f"    {verdict(r['rate_outbox'] >= 1500)} outbox ≥ 1,500 msg/s: {r['rate_outbox']:.0f}")
    print(f"    {verdict(ratio_a >= 4)} outbox / A ≥ 4: {ratio_a:.2f}")
    print(f"    {verdict(ratio_b >= 0.6)} outbox / B ≥ 0.60: {ratio_b:.2f}")
    print(f"    (B / A, the transport alone: {r['rate_b'] / r['rate_a']:.2f})")
    exact = r["accepted"] == r["members"] == r["recorded_sent"] and r["max_per_chat"] == 1
    print(f"    {verdict(exact)} everyone exactly once, every delivery recorded")


def report_limits(r: dict) -> None:
    print(
        f"\n(2) emulator enforcing {r['limit']:.0f} msg/s, 1/s per chat, 20/min per group: {r['messages']:,} messages"
    )
    print(
        f"    accepted {r['accepted']:,} (recorded sent {r['recorded_sent']:,}) in {r['elapsed_s']:.1f} s; "
        f"most in any second {r['max_per_second']}; group messages {r['group_messages']}"
    )
    share = r["rate"] / r["limit"]
    print(f"    {verdict(share >= 0.95)} achieved {r['rate']:.2f} msg/s = {share:.1%} of the limit (≥ 95 %)")
    print(f"    {verdict(r['throttled'] == 0)} 429 answers: {r['throttled']}")
    print(
        f"    {verdict(r['group_max_per_minute'] <= 20)} most messages to one group in any minute: {r['group_max_per_minute']}"
    )
    print(
        f"    {verdict(r['accepted'] == r['messages'] == r['recorded_sent'])} every message delivered and recorded"
    )


def report_memory(r: dict) -> None:
    print(f"\n(3) {r['members']:,} recipients, limits off, expansion + sending, in a fresh process")
    print(
        f"    delivered {r['accepted']:,}, recorded sent {r['recorded_sent']:,} in {r['elapsed_s']:.1f} s "
        f"under tracemalloc (expansion {r['expansion_s']:.1f} s)"
    )
    print(
        f"    {verdict(r['tracemalloc_peak_mb'] < 200)} tracemalloc peak: {r['tracemalloc_peak_mb']:.1f} MB (< 200)"
    )
    print(
        f"    {verdict(r['maxrss_mb'] < 200)} process peak resident size: {r['maxrss_mb']:.1f} MB (< 200; "
        f"{r['maxrss_before_mb']:.1f} MB before the broadcast, imports and all)"
    )
    print(
        f"    {verdict(r['accepted'] == r['members'] == r['recorded_sent'])} every message delivered and recorded"
    )


async def main(args: argparse.Namespace) -> None:
    quick = args.quick
    with tempfile.TemporaryDirectory(prefix="ketnoi-bench-") as tmp:
        folder = Path(tmp)
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; emulator in its own process")
        if "speed" in args.only:
            report_speed(await scenario_speed(folder, 2_000 if quick else 20_000))
        if "limits" in args.only:
            report_limits(await scenario_limits(folder, 120 if quick else 1_800, 3 if quick else 25))
        if "memory" in args.only:
            members = 5_000 if quick else 100_000
            await seed_memory_database(folder, members)
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--memory-child",
                str(members),
                folder.as_posix(),
                stdout=asyncio.subprocess.PIPE,
            )
            out, _ = await child.communicate()
            report_memory(json.loads(out.decode().strip().splitlines()[-1]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument(
        "--only", nargs="+", default=["speed", "limits", "memory"], choices=["speed", "limits", "memory"]
    )
    parser.add_argument("--serve-emulator", type=int, metavar="USERS", help=argparse.SUPPRESS)
    parser.add_argument("--limits", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--memory-child", nargs=2, metavar=("MEMBERS", "FOLDER"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve_emulator is not None:
        asyncio.run(serve_emulator(options.serve_emulator, options.limits))
    elif options.memory_child:
        result = asyncio.run(scenario_memory(Path(options.memory_child[1]), int(options.memory_child[0])))
        print(json.dumps(result))
    else:
        asyncio.run(main(options))
