"""The SMTP edge against a real server: STARTTLS or TLS, a login, and what each refusal becomes."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from bot.channels.mail.smtp import SmtpSender
from bot.core.mail import SmtpTarget
from bot.core.sending import Rejected, Transient
from bot.settings import SettingsError, load_settings
from tests.mail.smtp_server import PASSWORD, USER, SmtpServer


def letter(to: str = "ban@xa-mot.test") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Kết Nối <ketnoi@mttq.test>"
    message["To"] = to
    message["Subject"] = "Vụ việc khẩn ở Xã Một"
    message.set_content("Lốc xoáy làm tốc mái 12 nhà ở ấp 3.")
    return message


def sender(server: SmtpServer, **url) -> SmtpSender:
    return SmtpSender(SmtpTarget.parse(server.url(**url)), ca_file=server.ca_file, timeout=30)


async def test_a_message_goes_over_starttls_with_a_login(smtp):
    await sender(smtp).send(letter())
    [got] = smtp.mailroom.received
    assert got.authenticated and got.encrypted
    assert got.envelope_to == ["ban@xa-mot.test"]
    assert got.message["Subject"] == "Vụ việc khẩn ở Xã Một"
    assert got.message.get_content().strip() == "Lốc xoáy làm tốc mái 12 nhà ở ấp 3."


async def test_smtps_is_tls_from_the_first_byte(tmp_path: Path):
    server = await SmtpServer(tmp_path, implicit_tls=True).start()
    try:
        assert server.url().startswith("smtps://")
        await sender(server).send(letter())
    finally:
        await server.stop()
    [got] = server.mailroom.received
    assert got.authenticated and got.encrypted


async def test_a_4xx_reply_is_transient_and_a_5xx_reply_is_a_refusal_with_its_reason(smtp):
    smtp.mailroom.refuse.extend(["451 4.3.0 Mailbox busy, try later", "550 5.1.1 No such mailbox here"])
    with pytest.raises(Transient):
        await sender(smtp).send(letter())
    with pytest.raises(Rejected) as refused:
        await sender(smtp).send(letter())
    assert refused.value.reason.startswith("550") and "No such mailbox here" in refused.value.reason
    assert smtp.mailroom.received == []


async def test_a_wrong_password_is_refused_and_a_closed_port_is_transient(smtp):
    with pytest.raises(Rejected) as refused:
        await sender(smtp, password="sai").send(letter())
    assert refused.value.reason.startswith("535")
    port = smtp.port
    await smtp.stop()
    with pytest.raises(Transient):
        await SmtpSender(SmtpTarget.parse(f"smtp://{USER.replace('@', '%40')}:x@127.0.0.1:{port}"),
                         ca_file=smtp.ca_file, timeout=30).send(letter())


def test_smtp_url_schemes_and_their_defaults():
    starttls = SmtpTarget.parse("smtp://ketnoi%40mttq.vn:p%40ss@mail.mttq.vn")
    assert (starttls.security, starttls.port, starttls.username, starttls.password) == (
        "starttls", 587, "ketnoi@mttq.vn", "p@ss")
    assert SmtpTarget.parse("smtps://u:p@mail.mttq.vn").port == 465
    relay = SmtpTarget.parse("smtp+plain://127.0.0.1:2525")
    assert (relay.security, relay.port, relay.username) == ("plain", 2525, None)
    assert "p@ss" not in repr(starttls)


@pytest.mark.parametrize(("url", "says"), [
    ("http://mail.mttq.vn", "must start with smtp://"),
    ("smtp+plain://u:p@mail.mttq.vn", "password in clear"),
    ("smtp://u@mail.mttq.vn", "no password"),
    ("smtp://mail.mttq.vn:99999", "port"),
    ("smtp://u:p@mail.mttq.vn/x?starttls=1", "no path or query"),
])
def test_a_bad_smtp_url_is_one_clear_line(url, says):
    with pytest.raises(SettingsError) as error:
        load_settings(_env_file=None, smtp_url=url, mail_from="ketnoi@mttq.vn")
    assert str(error.value).startswith("Configuration error: SMTP_URL: ") and says in str(error.value)
    assert "u:p" not in str(error.value)


def test_smtp_url_needs_a_sender_and_its_password_is_a_secret():
    with pytest.raises(SettingsError, match="SMTP_URL is set but MAIL_FROM is not"):
        load_settings(_env_file=None, smtp_url="smtp://u:bí-mật@mail.mttq.vn")
    settings = load_settings(_env_file=None, smtp_url="smtp://u:b%C3%AD-m%E1%BA%ADt@mail.mttq.vn",
                             mail_from="Kết Nối <ketnoi@mttq.vn>")
    assert "bí-mật" in settings.secrets()
    assert PASSWORD not in repr(settings)


def test_a_missing_ca_file_is_one_clear_line(tmp_path: Path):
    with pytest.raises(SettingsError, match=r"^Configuration error: SMTP_CA_FILE: .*is not a file"):
        load_settings(_env_file=None, smtp_ca_file=tmp_path / "none.pem")
