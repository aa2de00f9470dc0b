"""Benchmark of the web console: each page's server time with the whole country seeded.

Seeds a fresh database (SQLite in a temporary folder, or `--database-url` PostgreSQL) with the
country of `bench_reports.py` (a root "Việt Nam" over the 34 provinces and 3,321 wards, one
month of ward reports), then one officer per ward, 50,000 feedback items over eight weeks,
300 urgent issues, 120 broadcasts (five of them sending, 2,000 messages each) and 20,000
audit entries. It starts KetNoi's web server in this process (no chat platform: the console
needs none), signs in two admins through the console's own sign-in link, and asks every page
`--runs` times over real HTTP on localhost:

  - the national admin (root "Việt Nam": 3,356 units, every report and feedback item) is the
    measure, target p95 < 300 ms per page;
  - the province admin of Vĩnh Long (124 wards) on the same database is the baseline: the
    ratio says how much the country's size costs.

Times are client round trips on localhost (the server's work plus a loopback hop).
Run: `.venv/bin/python bench/bench_console.py` (exit 0 whatever the result; PASS/FAIL printed).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import socket
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from bench.bench_reports import NOW, SENTENCES, seed  # noqa: E402
from bot.app import KetNoiApp  # noqa: E402
from bot.services.listening.feedback import load_config  # noqa: E402
from bot.services.people import console_access, people  # noqa: E402
from bot.services.people.people import actor_of_person  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage.db import make_engine, make_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import (  # noqa: E402
    AuditEntry,
    Broadcast,
    Delivery,
    Feedback,
    Identity,
    Person,
    RoleAssignment,
    Unit,
    UrgentIssue,
)

SEED = 20261201
TARGET_MS = 300.0
FEEDBACK, ISSUES, BROADCASTS, SENDING, PER_SENDING, AUDIT = 50_000, 300, 120, 5, 2_000, 20_000
# Every menu page, then a detail page of each kind found on the listing (href patterns). The two
# searches use each page's own parameter: the inbox's text search (`tim`, a LIKE over the feedback
# texts; "giá" is in one seeded sentence of four) and the overview's unit name search (`q`, without
# accents: "phu" finds every Phú, Phù, Phụ … ward).
SEARCHES = ("/phan-anh?tim=giá", "/?q=phu")
PAGES = ("/", "/bao-cao", "/tin-bai", "/tin-bai/soan", "/phan-anh", "/phan-anh/vu-viec", "/nguoi-dung",
         "/nguoi-dung/chua-co-can-bo", "/nguoi-dung/moi", "/nhat-ky", *SEARCHES)
DETAILS = (r"/quanly/bao-cao/\d+", r"/quanly/bao-cao/don-vi/\w+", r"/quanly/tin-bai/\d+",
           r"/quanly/phan-anh/y-kien/\d+", r"/quanly/phan-anh/vu-viec/\d+", r"/quanly/nguoi-dung/don-vi/\w+")


# --------------------------------------------------------------------------- seeding


async def seed_rest(factory) -> dict[str, int]:
    """Officers, feedback, issues, broadcasts and audit entries on top of the reports."""
    rng = random.Random(SEED)
    config = load_config()
    categories = [c.value for c in config.categories]
    tones = ["positive", "neutral", "negative", None]
    async with factory() as session:
        wards = (await session.execute(select(Unit.id).where(Unit.level == 2).order_by(Unit.path))).scalars().all()
        officers = []
        for start in range(0, len(wards), 1000):
            chunk = wards[start : start + 1000]
            ids = (await session.execute(
                insert(Person).returning(Person.id),
                [{"full_name": f"Cán bộ {n}", "consent_at": NOW, "created_at": NOW} for n in range(len(chunk))],
            )).scalars().all()
            await session.execute(insert(Identity), [
                {"person_id": pid, "platform": "zalo", "external_id": f"5a{pid:018d}", "chat_id": f"5a{pid:018d}",
                 "created_at": NOW} for pid in ids
            ])
            await session.execute(insert(RoleAssignment), [
                {"person_id": pid, "unit_id": ward, "role": "officer", "created_at": NOW}
                for pid, ward in zip(ids, chunk, strict=True)
            ])
            officers += list(ids)
        rows = []
        for n in range(FEEDBACK):
            named = rng.random() < 0.3
            rows.append({
                "reference": f"PA-B{n:06d}", "unit_id": rng.choice(wards), "category": rng.choice(categories),
                "tone": rng.choice(tones), "text": rng.choice(SENTENCES), "photos": [],
                "person_id": rng.choice(officers) if named else None, "status": rng.choice(["new", "seen"]),
                "created_at": NOW - timedelta(minutes=rng.randint(0, 8 * 7 * 24 * 60)),
            })
        for start in range(0, len(rows), 5000):
            await session.execute(insert(Feedback), rows[start : start + 5000])
        await session.execute(insert(UrgentIssue), [
            {"reference": f"VV-B{n:05d}", "unit_id": rng.choice(wards), "raised_by": rng.choice(officers),
             "category": rng.choice(categories), "text": rng.choice(SENTENCES),
             "status": rng.choice(["open", "acknowledged", "resolved"]),
             "created_at": NOW - timedelta(hours=rng.randint(0, 24 * 30)), "alerts": 0}
            for n in range(ISSUES)
        ])
        broadcast_ids = (await session.execute(insert(Broadcast).returning(Broadcast.id), [
            {"author_id": None, "text": f"Tin số {n}: {rng.choice(SENTENCES)}", "topic": "regular",
             "audience": {"units": ["VN"], "roles": ["officer"]},
             "status": "sending" if n < SENDING else rng.choice(["completed", "pending_approval", "scheduled"]),
             "version": 1, "recipients": PER_SENDING if n < SENDING else None, "submitted_at": NOW,
             "created_at": NOW, "updated_at": NOW}
            for n in range(BROADCASTS)
        ])).scalars().all()
        for broadcast_id in broadcast_ids[:SENDING]:
            await session.execute(insert(Delivery), [
                {"broadcast_id": broadcast_id, "platform": "zalo", "chat_id": f"5a{pid:018d}",
                 "status": rng.choice(["sent", "sent", "sent", "pending", "failed"]), "attempts": 1,
                 "next_attempt_at": NOW}
                for pid in officers[:PER_SENDING]
            ])
        actions = ["report.submit", "report.review", "feedback.answer", "broadcast.approve", "person.register"]
        await session.execute(insert(AuditEntry), [
            {"at": NOW - timedelta(minutes=n), "actor_id": rng.choice(officers), "action": rng.choice(actions),
             "target": f"report:{n}", "details": {}}
            for n in range(AUDIT)
        ])
        await session.commit()
    return {"officers": len(officers), "feedback": FEEDBACK, "issues": ISSUES, "broadcasts": BROADCASTS,
            "deliveries": SENDING * PER_SENDING, "audit": AUDIT}


async def admin_at(factory, unit_code: str, role: str, name: str) -> int:
    async with factory() as session, session.begin():
        unit = (await session.execute(select(Unit).where(Unit.code == unit_code))).scalar_one()
        person = await people.register(session, platform="telegram", external_id=f"bench-{unit_code}",
                                       chat_id=f"bench-{unit_code}", full_name=name, now=NOW)
        await people.grant_role(session, person, unit, role, granted_by=None, now=NOW)
        return person.id


# --------------------------------------------------------------------------- measuring


async def signed_in(app: KetNoiApp, person_id: int) -> aiohttp.ClientSession:
    """A browser-like client signed in through the console's own link."""
    async with app.session_factory() as session, session.begin():
        token = await console_access.issue_link(session, await actor_of_person(session, person_id), now=app.clock())
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with http.post(f"{app.public_url}/quanly/vao", data={"ma": token}, allow_redirects=False) as response:
        assert response.status == 303, f"sign-in failed: {response.status}"
    return http


async def time_page(http: aiohttp.ClientSession, url: str, runs: int) -> tuple[list[float], int, str]:
    """Milliseconds of each run (after one warm-up), the status and the body of the last."""
    times, status, body = [], 0, ""
    for run in range(runs + 1):
        started = time.perf_counter()
        async with http.get(url, allow_redirects=False) as response:
            body = await response.text()
            status = response.status
        if run:
            times.append((time.perf_counter() - started) * 1000)
    return times, status, body


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def measure(
    app: KetNoiApp, who: dict[str, int], runs: int
) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, tuple[int, int]]]:
    clients = {label: await signed_in(app, person_id) for label, person_id in who.items()}
    results: list[tuple[str, dict[str, Any]]] = []
    try:
        paths = list(PAGES)
        for path in PAGES:  # a detail page of each kind, found on the national admin's listing
            _, _, body = await time_page(clients["country"], f"{app.public_url}/quanly{path}", 0)
            for pattern in DETAILS:
                found = re.search(pattern, body)
                if found and found.group(0).removeprefix("/quanly") not in paths:
                    paths.append(found.group(0).removeprefix("/quanly"))
        bodies: dict[str, str] = {}
        for path in paths:
            row: dict[str, Any] = {}
            for label, http in clients.items():
                times, status, body = await time_page(http, f"{app.public_url}/quanly{path}", runs)
                row[label] = {"median": statistics.median(times), "p95": p95(times), "status": status}
                if label == "country":
                    bodies[path] = body
            results.append((path, row))
        searched = check_searches(bodies)
    finally:
        for http in clients.values():
            await http.close()
    return results, searched


def check_searches(bodies: dict[str, str]) -> dict[str, tuple[int, int]]:
    """A search the page ignored would time the unfiltered page again (it once did: the inbox was
    asked `?q=`, not its parameter), so each search must find fewer than its page lists, and some.
    Gives, for each search, how many its page lists and how many it found."""
    found: dict[str, tuple[int, int]] = {}
    for search in SEARCHES:
        page = search.partition("?")[0]
        page_total, search_total = (_total(bodies[p]) for p in (page, search))
        assert 0 < search_total < page_total, f"{search} found {search_total} of {page_total}: not a search"
        found[search] = (page_total, search_total)
    return found


def _total(body: str) -> int:
    """The count a listing states: the inbox's "12.345 phản ánh, trang …", the unit table's "3.356 đơn vị …"."""
    stated = re.search(r'(?:role="status"|id="unit-count")>(\d[\d.]*) (?:phản ánh|đơn vị)', body)
    return int(stated.group(1).replace(".", "")) if stated else 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def main(runs: int, database_url: str | None) -> int:
    with tempfile.TemporaryDirectory(prefix="ketnoi-bench-") as folder:
        url = database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        await upgrade(engine)
        factory = make_session_factory(engine)
        started = time.perf_counter()
        units, reports = await seed(factory)
        counts = await seed_rest(factory)
        who = {"country": await admin_at(factory, "VN", "province_admin", "Quản trị toàn quốc"),
               "province": await admin_at(factory, "86", "province_admin", "Quản trị Vĩnh Long")}
        seeded_in = time.perf_counter() - started
        await engine.dispose()
        settings = Settings(_env_file=None, database_url=url, web_port=free_port(), zalo_state_dir=Path(folder) / "zalo")
        app = KetNoiApp(settings, clock=lambda: NOW)
        await app.start()
        try:
            results, searched = await measure(app, who, runs)
        finally:
            await app.stop()
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"KetNoi console benchmark: {units:,} units, {reports:,} reports, {counts['feedback']:,} feedback, "
          f"{counts['issues']} urgent issues, {counts['broadcasts']} broadcasts ({counts['deliveries']:,} messages), "
          f"{counts['audit']:,} audit entries, {counts['officers']:,} officers; {backend}; seeded in {seeded_in:.0f} s; "
          f"{runs} runs per page after one warm-up")
    rows = [("page", "country median", "country p95", "Vĩnh Long median", "ratio", "target", "result")]
    for path, row in results:
        country, province = row["country"], row["province"]
        ok = country["status"] == 200 and country["p95"] < TARGET_MS
        rows.append((f"/quanly{path}", f"{country['median']:.0f} ms", f"{country['p95']:.0f} ms",
                     f"{province['median']:.0f} ms", f"{country['median'] / province['median']:.1f}x",
                     f"< {TARGET_MS:.0f} ms", "PASS" if ok else f"FAIL ({country['status']})"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True)).rstrip())
    print("Searches (national admin): " + "; ".join(
        f"/quanly{search} found {hits:,} of {listed:,}" for search, (listed, hits) in searched.items()))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timed requests per page and admin")
    parser.add_argument("--database-url", help="an empty PostgreSQL database (postgresql+asyncpg://…); SQLite by default")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.runs, args.database_url)))
