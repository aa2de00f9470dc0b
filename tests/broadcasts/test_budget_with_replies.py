"""Replies and a broadcast through one token's budget, against the emulator enforcing Telegram's limits.

The interactive bot is the real reply path (`TelegramChannel.deliver`, PTB's `Application` bot
with the budget's rate limiter), the outbox the real worker with its own Bot; both share one
`SendBudget` on the fake clock the emulator's limits also read.
"""

from __future__ import annotations

import asyncio

from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.outbox_bot import build_outbox_bot
from bot.channels.telegram.sender import TelegramSender
from bot.core.messages import Outgoing, Response
from broadcasts.limits import Limits, SendBudget
from broadcasts.outbox import OutboxConfig, OutboxWorker
from storage.models import Role
from tests.broadcasts.conftest import TOKEN

MEMBERS = range(1000, 1150)
CHATTERS = range(3000, 3008)


def _record(emu, monotonic, backlog: asyncio.Event) -> list[tuple[float, int]]:
    """(time, chat) of every message the emulator accepted; `backlog` is set after a second's worth."""
    log: list[tuple[float, int]] = []
    name, original = emu._api["sendmessage"]

    async def recording(params):
        result = await original(params)
        log.append((monotonic(), int(params["chat_id"])))
        if len(log) >= 30:
            backlog.set()
        return result

    emu._api["sendmessage"] = (name, recording)
    return log


def _max_in_window(times: list[float], period: float) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - period:
            start += 1
        best = max(best, end - start + 1)
    return best


async def _nothing(*_args) -> None:
    """The channel's handler: this test only sends."""


async def test_replies_and_a_broadcast_share_the_budget_without_a_429_and_replies_go_first(
    community, emu, session_factory, clock, monotonic, fake_sleep
):
    emu.enforce_limits = True  # 30/s overall, 1/s per private chat, on the fake clock
    await community.people(MEMBERS, "C1", Role.MEMBER)
    for chat in CHATTERS:
        emu.add_user(chat, f"Người {chat}")
    await community.broadcast(units_=("C1",))
    backlog = asyncio.Event()
    sends = _record(emu, monotonic, backlog)
    budget = SendBudget(Limits(), clock=monotonic, sleep=fake_sleep)
    channel = TelegramChannel(token=TOKEN, base_url=emu.base_url, handle=_nothing, budget=budget)
    outbox_bot = build_outbox_bot(TOKEN, base_url=emu.base_url, pacer=budget)
    await channel.application.initialize()
    await outbox_bot.initialize()
    try:
        worker = OutboxWorker(
            session_factory, {"telegram": TelegramSender(outbox_bot)}, pacers={"telegram": budget},
            config=OutboxConfig(flush_interval=0.01), clock=clock, sleep=fake_sleep,
        )
        drain = asyncio.create_task(worker.drain())
        await backlog.wait()  # the outbox is at full speed, 120 members still to go
        overtaken: list[int] = []
        for chat in CHATTERS:
            asked = len(sends)
            await channel.deliver(str(chat), Response(replies=[Outgoing("Câu trả lời"), Outgoing("Câu hỏi tiếp")]))
            first = next(i for i, (_, to) in enumerate(sends) if to == chat)
            overtaken.append(first - asked)  # broadcast messages that went before the reply's first
        await drain
    finally:
        await outbox_bot.shutdown()
        await channel.application.shutdown()
        await budget.close()

    assert emu.throttled_count == 0
    assert all(len(emu.messages(member)) == 1 for member in MEMBERS)
    assert all([m["text"] for m in emu.messages(chat)] == ["Câu trả lời", "Câu hỏi tiếp"] for chat in CHATTERS)
    assert _max_in_window([at for at, _ in sends], 1.0) <= 30
    for chat in CHATTERS:
        assert _max_in_window([at for at, to in sends if to == chat], 1.0) == 1
    # A reply waits at most for what was already in flight, never for the backlog (120 members).
    assert max(overtaken) <= 30
    assert budget.granted[True] == 2 * len(CHATTERS)
