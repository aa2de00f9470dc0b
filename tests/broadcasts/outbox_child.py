"""A worker process for the SIGKILL test: drains the outbox against the emulator, then exits.

Run as `python -m tests.broadcasts.outbox_child DB_URL BASE_URL CLOCK_OFFSET_SECONDS`. A positive
offset makes this process's clock run ahead, so the leases a killed worker left behind have
already expired for it (the stand-in for waiting out the lease).
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta

from bot.channels.telegram.outbox_bot import build_outbox_bot
from bot.channels.telegram.sender import TelegramSender
from broadcasts.limits import Limits, SendBudget
from broadcasts.outbox import OutboxConfig, OutboxWorker
from storage.db import make_engine, make_session_factory
from tests.broadcasts.conftest import TOKEN

CONFIG = OutboxConfig(concurrency=8, flush_interval=0.01)


async def main(db_url: str, base_url: str, offset: float) -> None:
    engine = make_engine(db_url)
    bot = build_outbox_bot(TOKEN, base_url=base_url, pacer=SendBudget(Limits(enabled=False)))
    try:
        async with bot:
            worker = OutboxWorker(
                make_session_factory(engine),
                {"telegram": TelegramSender(bot)},
                config=CONFIG,
                clock=lambda: datetime.now(UTC) + timedelta(seconds=offset),
            )
            summaries = await worker.drain()
    finally:
        await engine.dispose()
    print(json.dumps([{"id": s.broadcast_id, "status": s.status, "sent": s.counts.sent} for s in summaries]))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
