"""The units' mailboxes through a real SMTP server: what is mailed, to whom, once, and what a
refusal does. The clock is a fake one; the server is aiosmtpd with STARTTLS and a login."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.channels.mail.smtp import SmtpSender
from bot.core.mail import SmtpTarget
from bot.core.periods import PeriodKind, Schedule
from bot.services.listening import feedback
from bot.services.people import people, units
from bot.services.people.mailbox import InvalidAddress, normalise_address, set_unit_email
from broadcasts.mail.outbox import (
    NO_MAILBOX,
    FailedMail,
    MailConfig,
    MailOutbox,
    failure_recipients,
    retry_failed,
)
from broadcasts.mail.produce import MailQueue
from broadcasts.reminders.decide import ReminderPolicy
from handlers.mail import MailWording
from storage.db import make_engine, make_session_factory
from storage.models import MailMessage, MailStatus, Person, Unit
from tests.support import TWO_DISTRICTS, FakeClock

TREE = TWO_DISTRICTS
PROVINCE_BOX, DISTRICT_BOX, COMMUNE_BOX = "vanphong@mttq-vinhlong.vn", "huyenmot@mttq-vinhlong.vn", "xamot@mttq-vinhlong.vn"
MONTHLY = Schedule(kinds=(PeriodKind.MONTH,))
FROM = "Kết Nối <ketnoi@mttq-vinhlong.vn>"


def vn(day: int, hour: int = 9, month: int = 11) -> datetime:
    """A local (UTC+7) time in 2026, as UTC."""
    return datetime(2026, month, day, hour, tzinfo=UTC) - timedelta(hours=7)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(vn(10))  # a Tuesday: no digest, no deadline in the last two weeks


@pytest.fixture
async def tree(session_factory, clock) -> None:
    """The tree, a mailbox at the province, Huyện Một and Xã Một, and a province admin in chat."""
    async with session_factory() as session, session.begin():
        await units.import_units(session, TREE, now=clock())
        for code, box in (("86", PROVINCE_BOX), ("D1", " huyenmot@MTTQ-VinhLong.VN "), ("C1", COMMUNE_BOX)):
            await set_unit_email(session, await units.unit_by_code(session, code), box, now=clock())
        admin = await people.register(session, platform="telegram", external_id="10", chat_id="10",
                                      full_name="Nguyễn Văn An", now=clock())
        await people.grant_role(session, admin, await units.unit_by_code(session, "86"), "province_admin",
                                granted_by=None, now=clock())


async def raise_issue(session_factory, clock, text: str = "Lốc xoáy làm tốc mái 12 nhà ở ấp 3.") -> str:
    async with session_factory() as session, session.begin():
        person = Person(full_name="Trần Thị Bình", consent_at=clock(), created_at=clock())
        session.add(person)
        await session.flush()
        c1 = await units.unit_by_code(session, "C1")
        await people.grant_role(session, person, c1, "officer", granted_by=None, now=clock())
        actor = await people.actor_of_person(session, person.id)
        issue = await feedback.raise_issue(session, actor, c1, category="moitruong", text=text, now=clock())
        return issue.reference


def mailer(session_factory, clock, smtp, failed: list[FailedMail] | None = None) -> tuple[MailQueue, MailOutbox]:
    """What the app builds when SMTP_URL is set (a new pair is a restarted process)."""
    policy = ReminderPolicy()
    sender = SmtpSender(SmtpTarget.parse(smtp.url()), ca_file=smtp.ca_file, timeout=30)

    async def tell(item: FailedMail) -> None:
        if failed is not None:
            failed.append(item)

    return (
        MailQueue(session_factory, clock, MONTHLY, policy, MailWording("Asia/Ho_Chi_Minh")),
        MailOutbox(session_factory, sender, clock, FROM, on_failed=tell, config=MailConfig()),
    )


async def tick(pair: tuple[MailQueue, MailOutbox]) -> tuple[int, int]:
    queue, outbox = pair
    return await queue.tick(), await outbox.send_due()


async def rows(session_factory) -> list[MailMessage]:
    async with session_factory() as session:
        return list((await session.execute(select(MailMessage).order_by(MailMessage.id))).scalars())


async def test_an_urgent_issue_reaches_the_mailboxes_once(tree, session_factory, clock, smtp, db_url):
    reference = await raise_issue(session_factory, clock)
    mail = mailer(session_factory, clock, smtp)
    assert await tick(mail) == (2, 2)  # the province and the unit above, as the chat alert
    clock.advance(minutes=1)
    assert await tick(mail) == (0, 0)
    engine = make_engine(db_url)  # a restarted (or second) process on the same database
    try:
        assert await tick(mailer(make_session_factory(engine), clock, smtp)) == (0, 0)
    finally:
        await engine.dispose()

    assert [len(smtp.mailroom.to(box)) for box in (PROVINCE_BOX, DISTRICT_BOX, COMMUNE_BOX)] == [1, 1, 0]
    [got] = smtp.mailroom.to(PROVINCE_BOX)
    assert all(r.authenticated and r.encrypted for r in smtp.mailroom.received)
    assert got["Subject"] == f"[KetNoi] Vụ việc khẩn {reference} – Xã Một"
    assert got["From"] == FROM and got["To"] == PROVINCE_BOX
    assert got["Message-ID"].startswith("<ketnoi.issue.") and got["Message-ID"].endswith("@mttq-vinhlong.vn>")
    body = got.get_content()
    assert "Lốc xoáy làm tốc mái 12 nhà ở ấp 3." in body
    assert "Lĩnh vực: Môi trường" in body and "Thời gian: 09:00 ngày 10/11/2026" in body
    assert "Trần Thị Bình" not in body  # the reporter's name stays in the chat
    assert got.get_content_charset() == "utf-8"


async def test_a_transient_refusal_is_tried_again_later_and_the_mail_arrives_once(
    tree, session_factory, clock, smtp
):
    await raise_issue(session_factory, clock)
    smtp.mailroom.refuse.extend(["451 4.3.0 Try again later", "421 4.7.0 Too busy"])
    mail = mailer(session_factory, clock, smtp)
    assert await tick(mail) == (2, 0)
    assert {(r.status, r.attempts, r.last_error[:3]) for r in await rows(session_factory)} == {
        (MailStatus.PENDING, 1, "451"), (MailStatus.PENDING, 1, "421")}
    assert await tick(mail) == (0, 0)  # not before the wait is over
    clock.advance(minutes=5)
    assert await tick(mail) == (0, 2)
    clock.advance(hours=1)
    assert await tick(mail) == (0, 0)
    assert [len(smtp.mailroom.to(box)) for box in (PROVINCE_BOX, DISTRICT_BOX)] == [1, 1]
    assert {(r.status, r.attempts, r.last_error) for r in await rows(session_factory)} == {
        (MailStatus.SENT, 2, None)}


async def test_a_refused_mailbox_fails_for_good_with_the_reason_and_the_province_is_told(
    tree, session_factory, clock, smtp
):
    await raise_issue(session_factory, clock)
    smtp.mailroom.refuse.append("550 5.1.1 Mailbox does not exist")
    failed: list[FailedMail] = []
    mail = mailer(session_factory, clock, smtp, failed)
    assert await tick(mail) == (2, 1)
    clock.advance(days=1)
    assert await tick(mail) == (0, 0)  # never tried again
    [bad] = [r for r in await rows(session_factory) if r.status == MailStatus.FAILED]
    assert bad.last_error == "550 5.1.1 Mailbox does not exist" and bad.attempts == 1
    assert len(smtp.mailroom.received) == 1
    [item] = failed
    assert (item.kind, item.reason) == ("issue", "550 5.1.1 Mailbox does not exist")
    async with session_factory() as session:
        [admin] = await failure_recipients(session, item.unit_id)
    notice = MailWording.failed(admin, item)
    assert notice.chat_id == "10"
    assert notice.text.startswith(f"Không gửi được thư điện tử đến hộp thư của {item.unit_name} (vụ việc khẩn)")

    # The operator corrects the address and queues the failed mail again: it goes to the new one, once.
    async with session_factory() as session, session.begin():
        unit = await session.get_one(Unit, item.unit_id)
        await set_unit_email(session, unit, "vanphong.moi@mttq-vinhlong.vn", now=clock())
        assert await retry_failed(session, clock()) == 1
    assert await tick(mail) == (0, 1)
    assert await tick(mail) == (0, 0)
    assert len(smtp.mailroom.to("vanphong.moi@mttq-vinhlong.vn")) == 1 and len(smtp.mailroom.received) == 2


async def test_a_mailbox_taken_away_before_sending_gets_nothing(tree, session_factory, clock, smtp):
    await raise_issue(session_factory, clock)
    queue, outbox = mailer(session_factory, clock, smtp)
    assert await queue.tick() == 2
    async with session_factory() as session, session.begin():
        await set_unit_email(session, await units.unit_by_code(session, "D1"), None, now=clock())
    assert await outbox.send_due() == 1
    assert [len(smtp.mailroom.to(box)) for box in (PROVINCE_BOX, DISTRICT_BOX)] == [1, 0]
    assert {(r.status, r.last_error) for r in await rows(session_factory)} == {
        (MailStatus.SENT, None), (MailStatus.FAILED, NO_MAILBOX)}


async def test_too_many_transient_failures_fail_the_mail(tree, session_factory, clock, smtp):
    await raise_issue(session_factory, clock)
    async with session_factory() as session, session.begin():
        await set_unit_email(session, await units.unit_by_code(session, "D1"), None, now=clock())
    queue, outbox = mailer(session_factory, clock, smtp)
    outbox.config = MailConfig(max_attempts=3)
    smtp.mailroom.refuse.extend(["452 4.2.2 Mailbox full"] * 3)
    assert await queue.tick() == 1
    for _ in range(3):
        assert await outbox.send_due() == 0
        clock.advance(hours=1)
    [row] = await rows(session_factory)
    assert (row.status, row.attempts, row.last_error) == (MailStatus.FAILED, 3, "452 4.2.2 Mailbox full")


async def test_the_weekly_digest_goes_to_the_province_mailbox_once(tree, session_factory, clock, smtp):
    clock.now = vn(9, 6)  # Monday, before the digest's hour (08:00)
    mail = mailer(session_factory, clock, smtp)
    assert await tick(mail) == (0, 0)
    clock.now = vn(9, 8)
    assert await tick(mail) == (1, 1)
    clock.advance(hours=3)
    assert await tick(mail) == (0, 0)
    [got] = smtp.mailroom.to(PROVINCE_BOX)
    assert got["Subject"] == "[KetNoi] Tổng hợp tuần 2026-W46 – Tỉnh Vĩnh Long"
    body = got.get_content()
    assert "Tổng hợp tuần 2026-W46 – Tỉnh Vĩnh Long" in body and "Vụ việc khẩn chưa giải quyết: 0." in body


async def test_the_period_end_export_goes_to_the_province_and_the_district_once(
    tree, session_factory, clock, smtp
):
    clock.now = vn(19)  # communes' deadline (18 Nov) passed: Huyện Một's communes are all in
    mail = mailer(session_factory, clock, smtp)
    assert await tick(mail) == (1, 1)
    clock.now = vn(21)  # districts' deadline (20 Nov) passed: the province's whole tree
    assert await tick(mail) == (1, 1)
    clock.advance(days=3)
    assert await tick(mail) == (0, 0)

    [district] = smtp.mailroom.to(DISTRICT_BOX)
    [province] = smtp.mailroom.to(PROVINCE_BOX)
    assert district["Subject"] == "[KetNoi] Báo cáo Tháng 11/2026 – Huyện Một"
    assert "Hạn nộp báo cáo Tháng 11/2026 đã qua (23:59 ngày 18/11/2026)" in district.get_body().get_content()
    assert "Hạn nộp báo cáo Tháng 11/2026 đã qua (23:59 ngày 20/11/2026)" in province.get_body().get_content()
    assert codes_in(district) == ["C1", "C2"]
    assert codes_in(province) == ["D1", "C1", "C2", "D2", "C3"]


def codes_in(message) -> list[str]:
    """The unit codes listed in the message's attached workbook, as Excel would open it."""
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename().endswith("-2026-11.xlsx")
    assert attachment.get_content_type() == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(BytesIO(attachment.get_content()), read_only=True)
    try:
        sheet = book.worksheets[0]
        return [row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] and row[0] != "Tổng cộng"]
    finally:
        book.close()


async def test_a_mailbox_is_checked_and_stored_one_way(tree, session_factory, clock):
    assert normalise_address("  Van.Phong@MTTQ.gov.vn ") == "Van.Phong@mttq.gov.vn"
    assert normalise_address("vanphong@mặttrận.vn") == "vanphong@xn--mttrn-o31bsc.vn"  # any server takes it
    for bad in ("vanphong", "van phong@mttq.vn", "@mttq.vn", "vănphòng@mttq.vn"):
        with pytest.raises(InvalidAddress):
            normalise_address(bad)
    async with session_factory() as session:
        assert (await units.unit_by_code(session, "D1")).email == DISTRICT_BOX


async def test_two_processes_at_once_queue_and_send_each_mail_once(tree, session_factory, clock, smtp, db_url):
    for n in range(3):
        await raise_issue(session_factory, clock, text=f"Vụ việc số {n + 1}.")
    engine = make_engine(db_url)
    try:
        first, second = mailer(session_factory, clock, smtp), mailer(make_session_factory(engine), clock, smtp)
        queued = await asyncio.gather(first[0].tick(), second[0].tick())
        sent = await asyncio.gather(first[1].send_due(), second[1].send_due())
    finally:
        await engine.dispose()
    assert sum(queued) == 6 and sum(sent) == 6
    assert [len(smtp.mailroom.to(box)) for box in (PROVINCE_BOX, DISTRICT_BOX)] == [3, 3]
    assert len({m["Message-ID"] for m in smtp.mailroom.to(PROVINCE_BOX)}) == 3
