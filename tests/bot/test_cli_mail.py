"""`python -m bot units email` and `python -m bot mail status`, as real subprocesses."""

from __future__ import annotations

from sqlalchemy import update

from bot.services.people import units
from bot.services.people.units import UnitRow
from broadcasts.mail.outbox import Letter, queue
from storage.models import MailMessage, MailStatus
from tests.bot.test_cli import cli

TREE = [UnitRow("86", "Tỉnh Vĩnh Long", "tỉnh", None), UnitRow("D1", "Huyện Một", "huyện", "86")]


async def email_of(session_factory, code: str) -> str | None:
    async with session_factory() as session:
        return (await units.unit_by_code(session, code)).email


async def test_a_units_mailbox_is_set_checked_and_cleared(db_url, session_factory, now):
    async with session_factory() as session, session.begin():
        await units.import_units(session, TREE, now=now)

    set_ = cli(db_url, "units", "email", "--unit", "D1", "--address", " VanPhong@MTTQ-VinhLong.VN ", SMTP_URL="")
    assert set_.returncode == 0, set_.stderr
    assert set_.stdout.strip() == "Huyện Một (D1): mail goes to VanPhong@mttq-vinhlong.vn"
    assert "SMTP_URL is not set" in set_.stderr
    assert await email_of(session_factory, "D1") == "VanPhong@mttq-vinhlong.vn"

    bad = cli(db_url, "units", "email", "--unit", "D1", "--address", "van phong@mttq")
    assert bad.returncode == 2 and bad.stderr.startswith("error: not an e-mail address")
    assert cli(db_url, "units", "email", "--unit", "XX", "--address", "a@mttq.vn").returncode == 2
    assert await email_of(session_factory, "D1") == "VanPhong@mttq-vinhlong.vn"

    cleared = cli(db_url, "units", "email", "--unit", "D1", "--clear")
    assert cleared.returncode == 0 and cleared.stdout.strip() == "Huyện Một (D1): no mailbox"
    assert await email_of(session_factory, "D1") is None


async def test_mail_status_counts_and_lists_the_failed_with_their_reason(db_url, session_factory, now):
    async with session_factory() as session, session.begin():
        await units.import_units(session, TREE, now=now)
        for code in ("86", "D1"):
            unit = await units.unit_by_code(session, code)
            unit.email = f"{code.lower()}@mttq-vinhlong.vn"
            await queue(session, Letter("issue", "7", "Vụ việc khẩn", "Nội dung"), unit, now)
        await session.execute(update(MailMessage).where(MailMessage.unit_id == unit.id).values(
            status=MailStatus.FAILED, attempts=1, last_error="550 5.1.1 Mailbox does not exist"))

    status = cli(db_url, "mail", "status")
    assert status.returncode == 0, status.stderr
    lines = status.stdout.strip().splitlines()
    assert lines[0] == "1 pending, 0 sent, 1 failed"
    assert lines[1].split("\t")[1:] == ["unit D1", "issue 7", "1 tries", "550 5.1.1 Mailbox does not exist"]
    assert "d1@mttq-vinhlong.vn" not in status.stdout

    assert cli(db_url, "mail", "retry", "--unit", "86").stdout.startswith("0 failed mails queued again")
    assert cli(db_url, "mail", "retry", "--unit", "D1").stdout.startswith("1 failed mails queued again")
    assert cli(db_url, "mail", "status").stdout.splitlines() == ["2 pending, 0 sent, 0 failed"]
