"""The sending budget of one token: interactive sends first, no busy waits, shared across processes.

Everything runs on a fake clock that sleeping moves (`fake_sleep`), so seconds of pacing pass in
no real time; a busy wait would show as sleeps of nothing or as a test that never ends.
"""

from __future__ import annotations

import asyncio
from itertools import pairwise

import pytest

from broadcasts.limits import SHARED_HEADROOM, Limits, SendBudget
from broadcasts.shared_budget import DatabaseTimeline, budget_key
from tests.conftest import USE_POSTGRES


def _max_in_window(times: list[float], period: float) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - period:
            start += 1
        best = max(best, end - start + 1)
    return best


class Recorder:
    """Sleeps the fake clock forward and remembers every sleep (a busy wait sleeps nothing, often)."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if seconds > 0:
            self.clock.advance(seconds=seconds)
        await asyncio.sleep(0)


async def _send(
    budget: SendBudget, chat: str, granted: list[tuple[float, str]], monotonic, *, interactive=False, told=None
):
    async with budget.slot(chat, group=chat.startswith("-"), interactive=interactive) as started:
        granted.append((started, chat))
        if told is not None and len(granted) >= told[0]:
            told[1].set()


async def test_the_overall_rate_holds_and_waiting_sleeps_until_the_next_slot(clock, monotonic):
    recorder = Recorder(clock)
    budget = SendBudget(Limits(), clock=monotonic, sleep=recorder.sleep)
    granted: list[tuple[float, str]] = []
    await asyncio.gather(*(_send(budget, str(1000 + n), granted, monotonic) for n in range(300)))
    assert len(granted) == 300
    assert _max_in_window([at for at, _ in granted], 1.0) <= 30
    assert granted[-1][0] - granted[0][0] >= 9  # 300 at 30/s
    # One timer sleeps until the next slot frees: a few sleeps a second, none of nothing.
    assert all(seconds > 0 for seconds in recorder.sleeps)
    assert len(recorder.sleeps) <= 3 * 300
    await budget.close()


async def test_a_reply_goes_before_the_broadcast_messages_that_wait(clock, monotonic):
    recorder = Recorder(clock)
    budget = SendBudget(Limits(), clock=monotonic, sleep=recorder.sleep)
    granted: list[tuple[float, str]] = []
    two_seconds = (60, asyncio.Event())  # of broadcast: the window is full, 140 wait
    backlog = [
        asyncio.create_task(_send(budget, str(1000 + n), granted, monotonic, told=two_seconds)) for n in range(200)
    ]
    await two_seconds[1].wait()
    asked = monotonic()
    await _send(budget, "42", granted, monotonic, interactive=True)
    replied = monotonic()
    assert replied - asked <= 1.0  # the next slot that freed, not the end of the backlog
    waiting = sum(1 for task in backlog if not task.done())
    assert waiting >= 100  # the reply overtook them all
    await asyncio.gather(*backlog)
    assert _max_in_window([at for at, _ in granted], 1.0) <= 30
    await budget.close()


async def test_the_broadcast_leaves_a_reserve_while_people_chat(clock, monotonic):
    recorder = Recorder(clock)
    budget = SendBudget(Limits(), clock=monotonic, sleep=recorder.sleep)
    granted: list[tuple[float, str]] = []
    await _send(budget, "42", granted, monotonic, interactive=True)  # someone chats
    await asyncio.gather(*(_send(budget, str(1000 + n), granted, monotonic) for n in range(60)))
    broadcast = [at for at, chat in granted if chat != "42"]
    assert _max_in_window(broadcast, 1.0) <= 30 - budget.reserve
    # A reply then finds a slot at once.
    asked = monotonic()
    await _send(budget, "43", granted, monotonic, interactive=True)
    assert monotonic() == asked
    await budget.close()


async def test_a_pause_holds_every_sender_of_the_token(clock, monotonic):
    recorder = Recorder(clock)
    budget = SendBudget(Limits(), clock=monotonic, sleep=recorder.sleep)
    granted: list[tuple[float, str]] = []
    budget.pause(5)
    paused_at = monotonic()
    await asyncio.gather(
        _send(budget, "1", granted, monotonic, interactive=True), _send(budget, "2", granted, monotonic)
    )
    assert all(at >= paused_at + 5 for at, _ in granted)
    await budget.close()


async def test_a_private_chat_gets_one_message_a_second_a_group_twenty_a_minute(clock, monotonic):
    recorder = Recorder(clock)
    budget = SendBudget(Limits(), clock=monotonic, sleep=recorder.sleep)
    granted: list[tuple[float, str]] = []
    for _ in range(3):
        await _send(budget, "7", granted, monotonic, interactive=True)
    for _ in range(21):
        await _send(budget, "-100", granted, monotonic)
    private = [at for at, chat in granted if chat == "7"]
    group = [at for at, chat in granted if chat == "-100"]
    assert _max_in_window(private, 1.0) == 1
    assert _max_in_window(group, 60.0) == 20
    await budget.close()


@pytest.mark.skipif(not USE_POSTGRES, reason="the shared budget coordinates processes through PostgreSQL; "
                    "SQLite is the one-process default, whose budget lives in memory")
async def test_two_processes_sharing_one_row_keep_the_overall_rate_together(session_factory, clock, monotonic):
    recorder = Recorder(clock)
    key = budget_key("telegram", "424242:TEST-token")
    budgets = [
        SendBudget(
            Limits(), clock=monotonic, sleep=recorder.sleep,
            shared=DatabaseTimeline(session_factory, key, clock=monotonic, now=monotonic),
        )
        for _ in range(2)
    ]
    granted: list[tuple[float, str]] = []
    sends = [
        _send(budget, f"{index}{n:04d}", granted, monotonic, interactive=n % 10 == 0)
        for index, budget in enumerate(budgets, start=1)
        for n in range(120)
    ]
    await asyncio.gather(*sends)
    assert len(granted) == 240
    assert {chat[0] for _, chat in granted} == {"1", "2"}
    starts = sorted(at for at, _ in granted)
    assert _max_in_window(starts, 1.0) <= 30
    # Start times come spaced by 95 % of the rate; a send may start up to half a spacing late.
    spacing = 1 / (30 * SHARED_HEADROOM)
    assert all(b - a >= spacing / 2 - 1e-6 for a, b in pairwise(starts))
    for budget in budgets:
        await budget.close()
