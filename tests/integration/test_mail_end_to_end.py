"""The whole app with SMTP_URL set: an urgent issue raised in the chat reaches the province's
mailbox once, over a real SMTP server (STARTTLS and login), even after a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.scheduler import MAIL_JOB
from bot.services.people import units
from bot.services.people.mailbox import set_unit_email
from tests.integration.conftest import ADMIN_ID, register
from tests.mail.smtp_server import SmtpServer

BOX = "vanphong@mttq-vinhlong.vn"


@pytest.fixture
async def smtp(tmp_path: Path) -> AsyncIterator[SmtpServer]:
    server = await SmtpServer(tmp_path).start()
    yield server
    await server.stop()


async def test_an_urgent_issue_reaches_the_provinces_mailbox_once(harness, start_app, seeded, session_factory,
                                                                   clock, smtp):
    await register(session_factory, clock, platform="telegram", n=3003, name="Trần Thị Bình",
                   unit_code="29641", role="officer")
    async with session_factory() as session, session.begin():
        await set_unit_email(session, await units.unit_by_code(session, "86"), BOX, now=clock())
    mail_settings = {"smtp_url": smtp.url(), "mail_from": "Kết Nối <ketnoi@mttq-vinhlong.vn>",
                     "smtp_ca_file": smtp.ca_file}
    app = await start_app(**mail_settings)
    officer, admin = harness.person(3003, "Trần Thị Bình"), harness.person(ADMIN_ID)
    await officer.say("/khancap")
    await officer.choose("Thiên tai, dịch bệnh")
    await officer.say("Lốc xoáy làm tốc mái 12 nhà ở ấp 3.")
    raised = await officer.choose("Gửi ngay")
    reference = raised[-1]["text"].split("Đã gửi vụ việc khẩn ")[1].split()[0].rstrip(".")
    assert "VỤ VIỆC KHẨN" in admin.new_messages()[-1]["text"]  # the chat's alert, as before

    await app.scheduler.run_now(MAIL_JOB)
    await app.scheduler.run_now(MAIL_JOB)
    await app.stop()
    restarted = await start_app(**mail_settings)
    assert await restarted.mail_tick() == 0

    issues = [m for m in smtp.mailroom.to(BOX) if "Vụ việc khẩn" in m["Subject"]]
    assert len(issues) == 1
    [mail] = issues
    assert mail["Subject"] == f"[KetNoi] Vụ việc khẩn {reference} – Xã Cái Nhum"
    body = mail.get_content()
    assert "Lĩnh vực: Thiên tai, dịch bệnh" in body and "Lốc xoáy làm tốc mái 12 nhà ở ấp 3." in body


async def test_a_refused_mail_is_told_to_the_province_admin_in_the_chat(harness, start_app, seeded,
                                                                       session_factory, clock, smtp):
    await register(session_factory, clock, platform="telegram", n=3003, name="Trần Thị Bình",
                   unit_code="29641", role="officer")
    async with session_factory() as session, session.begin():
        await set_unit_email(session, await units.unit_by_code(session, "86"), BOX, now=clock())
    app = await start_app(smtp_url=smtp.url(), mail_from="ketnoi@mttq-vinhlong.vn", smtp_ca_file=smtp.ca_file)
    officer, admin = harness.person(3003, "Trần Thị Bình"), harness.person(ADMIN_ID)
    await officer.say("/khancap")
    await officer.choose("Thiên tai, dịch bệnh")
    await officer.say("Sạt lở bờ sông ấp 2.")
    await officer.choose("Gửi ngay")
    admin.new_messages()
    smtp.mailroom.refuse.extend(["550 5.1.1 Mailbox does not exist"] * 5)

    await app.mail_tick()
    told = [m["text"] for m in admin.new_messages() if "thư điện tử" in m["text"]]
    assert told and told[0].startswith("Không gửi được thư điện tử đến hộp thư của Tỉnh Vĩnh Long")
    assert "550 5.1.1 Mailbox does not exist" in told[0]
    assert smtp.mailroom.received == []
