"""Sending e-mail over SMTP with aiosmtplib: the mail edge.

One connection per message (a unit's mailbox gets a few mails a week, never a stream), secured
as SMTP_URL says (`bot.core.mail.SmtpTarget`). aiosmtplib's errors become the core's: a 4xx
reply, a refused, broken or timed-out connection is `Transient` (the outbox tries again later);
a 5xx reply is `Rejected` with the server's words, so an operator sees why.
"""

from __future__ import annotations

import email.policy
import ssl
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from pathlib import Path

import aiosmtplib

from bot.core.mail import PLAIN, TLS, SmtpTarget
from bot.core.sending import Rejected, Transient

REASON_LENGTH = 250
# Headers are written unfolded (one line up to SMTP's 998): CPython 3.11's generator drops the
# space where it folds between two encoded words, so "Huyện Một" in a long subject arrived as
# "HuyệnMột" (tests/mail catch it). One long encoded word is read by every mail client.
UNFOLDED = email.policy.SMTP.clone(max_line_length=998)


class SmtpSender:
    """Sends one `EmailMessage` through the configured server; implements `MailSender`."""

    def __init__(self, target: SmtpTarget, ca_file: Path | None = None, timeout: float = 60) -> None:
        self.target = target
        self.timeout = timeout
        self.tls_context = None if target.security == PLAIN else ssl.create_default_context(cafile=ca_file)

    async def send(self, message: EmailMessage) -> None:
        t = self.target
        envelope_from = parseaddr(str(message["From"]))[1]
        recipients = [address for _, address in getaddresses([str(v) for v in message.get_all("To", [])])]
        try:
            await aiosmtplib.send(
                message.as_bytes(policy=UNFOLDED),
                sender=envelope_from,
                recipients=recipients,
                hostname=t.host,
                port=t.port,
                username=t.username,
                password=t.password,
                use_tls=t.security == TLS,
                start_tls=None if t.security == PLAIN else t.security != TLS,
                tls_context=self.tls_context,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0]
            raise _by_code(refused.code, refused.message) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise _by_code(exc.code, exc.message) from None
        except (aiosmtplib.SMTPException, OSError) as exc:  # connection refused, dropped, timed out, TLS
            raise Transient(_short(f"{type(exc).__name__}: {exc}")) from None


def _by_code(code: int, text: str) -> Transient | Rejected:
    reason = _short(f"{code} {text}")
    return Rejected(reason) if 500 <= code < 600 else Transient(reason)


def _short(text: str) -> str:
    return " ".join(text.split())[:REASON_LENGTH]
