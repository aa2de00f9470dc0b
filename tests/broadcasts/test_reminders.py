"""A simulated month of deadlines on a fake clock: who is reminded, when, and only once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.core.messages import Outgoing
from bot.core.periods import Period, PeriodKind, Schedule
from bot.services.people import people, units
from bot.services.reporting import reports
from broadcasts.reminders.decide import ReminderPolicy
from broadcasts.reminders.send import Reminders
from handlers.reminders import ReminderWording
from storage.db import make_engine, make_session_factory
from storage.models import Identity
from tests.support import FakeClock

OFFICER_A, OFFICER_B, ADMIN = "31", "32", "10"
NOVEMBER = Period(2026, PeriodKind.MONTH, 11)
MONTHLY = Schedule(kinds=(PeriodKind.MONTH,))


def vn(day: int, hour: int, month: int = 11) -> datetime:
    """A local (UTC+7) time in 2026, as UTC."""
    return datetime(2026, month, day, hour, tzinfo=UTC) - timedelta(hours=7)


async def register(session, user_id: str, unit_code: str, role: str, now: datetime) -> None:
    unit = await units.get_unit_by_code(session, unit_code)
    person = await people.register(
        session, platform="telegram", external_id=user_id, chat_id=user_id,
        full_name=f"Người {user_id}", now=now,
    )
    await people.grant_role(session, person, unit, role, granted_by=None, now=now)


@pytest.fixture
async def province(session_factory):
    """Vĩnh Long; officers at Cái Nhum (A) and Tân Long Hội (B); a province admin."""
    now = vn(1, 8)
    async with session_factory() as session, session.begin():
        await units.import_units(session, units.rows_from_vietnam_provinces(86), now=now)
        await register(session, OFFICER_A, "29641", "officer", now)
        await register(session, OFFICER_B, "29653", "officer", now)
        await register(session, ADMIN, "86", "province_admin", now)


class Inbox:
    """Collects what the reminders would send, per chat."""

    def __init__(self) -> None:
        self.messages: list[Outgoing] = []

    async def __call__(self, message: Outgoing) -> None:
        self.messages.append(message)

    def to(self, chat_id: str, containing: str = "") -> list[str]:
        return [m.text for m in self.messages if m.chat_id == chat_id and containing in m.text]


def make_reminders(session_factory, inbox, clock, policy=None) -> Reminders:
    policy = policy or ReminderPolicy()
    return Reminders(session_factory, inbox, clock, MONTHLY, policy, render=ReminderWording(policy.tz_name))


async def submit_november(session_factory, unit_code: str, now: datetime) -> None:
    async with session_factory() as session, session.begin():
        unit = await units.get_unit_by_code(session, unit_code)
        report = await reports.get_or_create(session, unit, NOVEMBER, MONTHLY, now)
        report.answers = {k: 1 for k in ("sessions", "attendance", "posts", "supervisions", "criticisms")} | {
            "topics": ["kl21"], "channels": ["hop"], "sentiment": "Ổn định"}
        await reports.submit(session, report, actor_id=None, now=now)


async def test_a_month_of_reminders_goes_to_the_right_people_once(province, session_factory, db_url):
    """Two 'processes' (separate engines) tick alternately every 3 hours through November."""
    clock = FakeClock(vn(1, 0))
    inbox = Inbox()
    first = make_reminders(session_factory, inbox, clock)
    other_engine = make_engine(db_url)
    second = make_reminders(make_session_factory(other_engine), inbox, clock)
    try:
        tick = 0
        while clock.now < vn(30, 23):
            await (first if tick % 2 else second).tick()
            if clock.now == vn(16, 9):
                await submit_november(session_factory, "29641", clock.now)  # A submits on the 16th
            clock.advance(hours=3)
            tick += 1
    finally:
        await other_engine.dispose()

    a = inbox.to(OFFICER_A, "Tháng 11/2026")
    b = inbox.to(OFFICER_B, "Tháng 11/2026")
    assert len(a) == 1 and "còn 3 ngày" in a[0]  # A submitted before the later stages
    assert len(b) == 4
    assert "còn 3 ngày" in b[0] and "còn 1 ngày" in b[1]
    assert "hôm nay là hạn nộp" in b[2] and "đã quá hạn" in b[3]
    buttons = {m.choices[0].value for m in inbox.messages if m.chat_id == OFFICER_B and "Tháng 11/2026" in m.text}
    assert buttons == {"cmd:run:baocao 2026-11"}  # the button opens November's report directly

    escalations = inbox.to(ADMIN, "chưa nộp báo cáo Tháng 11/2026")
    assert len(escalations) == 4  # the 19th, 22nd, 25th and 28th: every 3 days while missing
    assert "Xã Tân Long Hội" in escalations[0] and "Xã Cái Nhum" not in escalations[0]
    assert "… và 93 đơn vị khác" in escalations[0]  # 123 missing, 30 named

    digests = inbox.to(ADMIN, "Tổng hợp tuần")
    assert [d.split(" – ")[0] for d in digests] == [
        "Tổng hợp tuần 2026-W45", "Tổng hợp tuần 2026-W46", "Tổng hợp tuần 2026-W47",
        "Tổng hợp tuần 2026-W48", "Tổng hợp tuần 2026-W49"]
    assert "Tháng 11/2026: đã nộp 1/124" in digests[3]  # Monday 23 November
    assert "Vụ việc khẩn chưa giải quyết: 0." in digests[3]


async def test_two_processes_ticking_at_once_send_each_reminder_once(province, session_factory, db_url):
    clock = FakeClock(vn(15, 8))
    inbox = Inbox()
    engines = [make_engine(db_url) for _ in range(2)]
    try:
        workers = [make_reminders(make_session_factory(e), inbox, clock) for e in engines]
        await asyncio.gather(*(w.tick() for w in workers))
    finally:
        for engine in engines:
            await engine.dispose()
    counts = Counter((m.chat_id, m.text) for m in inbox.messages)
    assert counts and set(counts.values()) == {1}
    assert len(inbox.to(OFFICER_B, "còn 3 ngày")) == 1


async def test_nothing_is_sent_in_quiet_hours_and_it_goes_out_next_morning(province, session_factory):
    policy = ReminderPolicy(send_at=time(22, 0))  # a stage that falls due at night
    clock = FakeClock(vn(15, 22))
    inbox = Inbox()
    reminders = make_reminders(session_factory, inbox, clock, policy)
    await reminders.tick()
    clock.now = vn(16, 6, 11) + timedelta(minutes=59)
    await reminders.tick()
    assert inbox.messages == []
    clock.now = vn(16, 7)
    await reminders.tick()
    assert len(inbox.to(OFFICER_B, "còn 3 ngày")) == 1


async def test_holidays_and_weekends_are_skipped_when_configured(province, session_factory):
    saturday = vn(14, 9)
    policy = ReminderPolicy(skip_weekends=True, holidays=frozenset({vn(16, 12).date()}))
    inbox = Inbox()
    clock = FakeClock(saturday)
    reminders = make_reminders(session_factory, inbox, clock, policy)
    for moment in (saturday, vn(15, 9), vn(16, 9)):  # Sat, Sun, a listed holiday
        clock.now = moment
        await reminders.tick()
    assert inbox.messages == []
    clock.now = vn(17, 9)
    await reminders.tick()
    assert len(inbox.to(OFFICER_B, "Tháng 11/2026")) == 1  # only the latest stage, not a backlog


async def test_someone_with_two_accounts_is_reminded_once_on_the_one_they_chose(province, session_factory):
    """Officer B also linked Zalo and chose it: each reminder reaches B once, on Zalo."""
    async with session_factory() as session, session.begin():
        officer = await people.find_identity(session, "telegram", OFFICER_B)
        officer.person.identities.append(
            Identity(platform="zalo", external_id="zalo-32", chat_id="zalo-32", created_at=vn(1, 8)))
        officer.person.preferred_platform = "zalo"
    clock = FakeClock(vn(1, 0))
    inbox = Inbox()
    reminders = make_reminders(session_factory, inbox, clock)
    while clock.now < vn(30, 23):
        await reminders.tick()
        clock.advance(hours=3)

    assert inbox.to(OFFICER_B) == []
    on_zalo = [m for m in inbox.messages if m.chat_id == "zalo-32" and "Tháng 11/2026" in m.text]
    assert [m.platform for m in on_zalo] == ["zalo"] * 4
    assert "còn 3 ngày" in on_zalo[0].text and "đã quá hạn" in on_zalo[3].text
