"""Outbox fixtures: a small unit tree, people in the database *and* in the Telegram emulator,
two province admins (author and approver), and a fake clock shared by the database, the
pacer and the emulator's flood limits, so minutes of rate limits pass in no real time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass

import pytest

from bot.channels.telegram.outbox_bot import build_outbox_bot
from bot.channels.telegram.sender import TelegramSender
from bot.emulator.telegram import TelegramEmulator
from bot.services.people import people, units
from broadcasts import approval as broadcasts
from broadcasts.limits import Limits, SendBudget
from broadcasts.outbox import OutboxConfig, OutboxWorker
from storage.models import Role
from tests.support import TWO_DISTRICTS, FakeClock

TOKEN = "424242:TEST-token-for-the-outbox"
AUTHOR, APPROVER = 1, 2
TREE = TWO_DISTRICTS


@pytest.fixture
def clock(now) -> FakeClock:
    return FakeClock(now)


@pytest.fixture
def fake_sleep(clock) -> Callable[[float], object]:
    """Sleeping moves the fake clock instead of waiting (then lets other tasks run)."""

    async def sleep(seconds: float) -> None:
        if seconds > 0:
            clock.advance(seconds=seconds)
        await asyncio.sleep(0)

    return sleep


@pytest.fixture
def monotonic(clock) -> Callable[[], float]:
    return lambda: clock().timestamp()


@pytest.fixture
async def emu(monotonic) -> AsyncIterator[TelegramEmulator]:
    emulator = TelegramEmulator(TOKEN, clock=monotonic)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def tree(session_factory, clock) -> None:
    async with session_factory() as session, session.begin():
        await units.import_units(session, TREE, now=clock())


@dataclass
class Community:
    """Writes people and chats into the database and the emulator together."""

    session_factory: object
    emu: TelegramEmulator
    clock: FakeClock

    async def people(
        self, ids: Iterable[int], unit_code: str, role: str, *, platform: str = "telegram"
    ) -> None:
        async with self.session_factory() as session, session.begin():
            unit = await units.get_unit_by_code(session, unit_code)
            for user_id in ids:
                if platform == "telegram" and user_id not in self.emu._users:
                    self.emu.add_user(user_id, f"Người {user_id}")
                person = await people.register(
                    session,
                    platform=platform,
                    external_id=str(user_id),
                    chat_id=str(user_id),
                    full_name=f"Người {user_id}",
                    now=self.clock(),
                )
                await people.grant_role(session, person, unit, role, granted_by=None, now=self.clock())

    async def chat(self, chat_id: int, unit_code: str | None, *, kind: str = "group") -> None:
        """A group or channel the bot sits in, linked to a unit (as /lienket would)."""
        if kind == "channel":
            self.emu.add_channel(chat_id, f"Kênh {chat_id}")
        else:
            self.emu.add_group(chat_id, f"Nhóm {chat_id}", supergroup=kind == "supergroup")
        await self.emu.add_bot_to_chat(AUTHOR, chat_id)
        async with self.session_factory() as session, session.begin():
            await broadcasts.record_chat_added(
                session, platform="telegram", chat_id=str(chat_id), kind=kind, title=None, now=self.clock()
            )
            if unit_code is not None:
                admin = await people.load_actor(session, "telegram", str(AUTHOR))
                unit = await units.get_unit_by_code(session, unit_code)
                await broadcasts.link_chat(
                    session, admin, platform="telegram", chat_id=str(chat_id), unit=unit, now=self.clock()
                )

    async def broadcast(
        self,
        text: str = "Thông báo của Ủy ban MTTQ tỉnh",
        *,
        units_: tuple[str, ...] = ("86",),
        roles: tuple[str, ...] = (Role.MEMBER,),
        linked: bool = False,
        release: bool = True,
    ) -> int:
        """Written by AUTHOR, approved by APPROVER and (by default) released at once."""
        audience = broadcasts.Audience(units=units_, roles=roles, include_linked_chats=linked)
        async with self.session_factory() as session, session.begin():
            author = await people.load_actor(session, "telegram", str(AUTHOR))
            approver = await people.load_actor(session, "telegram", str(APPROVER))
            item = await broadcasts.create(session, author, text=text, audience=audience, now=self.clock())
            await broadcasts.submit(session, author, item.id, now=self.clock())
            await broadcasts.approve(session, approver, item.id, now=self.clock())
            if release:
                await broadcasts.send_now(session, approver, item.id, now=self.clock())
            return item.id


@pytest.fixture
async def community(tree, session_factory, emu, clock) -> Community:
    world = Community(session_factory, emu, clock)
    await world.people([AUTHOR, APPROVER], "86", Role.PROVINCE_ADMIN)
    return world


@pytest.fixture
async def make_worker(session_factory, emu, clock, fake_sleep, monotonic):
    """Build a worker (and its Bot) against the emulator; every Bot is shut down at the end."""
    bots = []

    async def build(
        *,
        limits: Limits | None = None,
        config: OutboxConfig | None = None,
        read_timeout: float = 5.0,
        sleep=None,
        clock_=None,
        **kwargs,
    ) -> OutboxWorker:
        pacer = SendBudget(limits or Limits(enabled=False), clock=monotonic, sleep=fake_sleep)
        bot = build_outbox_bot(TOKEN, base_url=emu.base_url, pacer=pacer, read_timeout=read_timeout)
        await bot.initialize()
        bots.append(bot)
        return OutboxWorker(
            session_factory,
            {"telegram": TelegramSender(bot)},
            pacers={"telegram": pacer},
            config=config or OutboxConfig(flush_interval=0.01),
            clock=clock_ or clock,
            sleep=sleep or fake_sleep,
            **kwargs,
        )

    yield build
    for bot in bots:
        await bot.shutdown()


class Gate:
    """Lets the first `after` sendMessage calls through, then holds the rest until opened."""

    def __init__(self, emu, after: int) -> None:
        self.after = after
        self.passed = 0
        self.event = asyncio.Event()
        name, self._original = emu._api["sendmessage"]
        emu._api["sendmessage"] = (name, self._handle)

    async def _handle(self, params):
        if self.passed >= self.after:
            await self.event.wait()
        self.passed += 1
        return await self._original(params)

    def open(self) -> None:
        self.event.set()
