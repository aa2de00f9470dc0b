"""A real SMTP server for tests: aiosmtpd on a port the OS picks, in the test's own event loop.

It speaks STARTTLS (required before anything else) or TLS from the first byte, with a
certificate from a throwaway CA (trustme), and asks for a login (AUTH PLAIN/LOGIN) before it
takes mail. Each message is kept as received, parsed with the stdlib, with what the session
was (authenticated, encrypted). `refuse` holds the replies to give the next recipients instead
of accepting them (a 451 to try again later, a 550 to refuse for good).
"""

from __future__ import annotations

import asyncio
import ssl
import warnings
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

USER, PASSWORD = "ketnoi@mttq.test", "mật khẩu:@/ thử"  # characters that must be percent-encoded


@dataclass
class Received:
    message: EmailMessage
    envelope_from: str
    envelope_to: list[str]
    authenticated: bool
    encrypted: bool


@dataclass
class Mailroom:
    """What the server received, and what it should refuse next."""

    received: list[Received] = field(default_factory=list)
    refuse: deque[str] = field(default_factory=deque)

    def to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.received if address in r.envelope_to]

    async def handle_RCPT(self, server: SMTP, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if self.refuse:
            return self.refuse.popleft()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(message, envelope.mail_from, list(envelope.rcpt_tos),
                                      session.authenticated, _encrypted(server, session)))
        return "250 Message accepted for delivery"


def _encrypted(server: SMTP, session: Any) -> bool:
    """After STARTTLS aiosmtpd says so in the session; with TLS from the first byte, the transport does."""
    return session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None


def _login(server: SMTP, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER \
        and auth_data.password.decode() == PASSWORD
    return AuthResult(success=ok, handled=False)


class SmtpServer:
    """Start with `start()`, stop with `stop()`; `url` is what SMTP_URL would say."""

    def __init__(self, folder: Path, *, implicit_tls: bool = False) -> None:
        self.mailroom = Mailroom()
        self.implicit_tls = implicit_tls
        ca = trustme.CA()
        self.ca_file = folder / "test-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        self.tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(self.tls)
        self._server: asyncio.Server | None = None
        self.port = 0

    def _protocol(self) -> SMTP:
        with warnings.catch_warnings():  # "AUTH without requiring TLS": the transport is TLS already
            warnings.simplefilter("ignore", UserWarning)
            return self._smtp()

    def _smtp(self) -> SMTP:
        return SMTP(
            self.mailroom, hostname="mail.test", tls_context=None if self.implicit_tls else self.tls,
            require_starttls=not self.implicit_tls, auth_required=True,
            auth_require_tls=not self.implicit_tls,  # aiosmtpd only knows of TLS it started itself
            authenticator=_login, loop=asyncio.get_running_loop(),
        )

    async def start(self) -> SmtpServer:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._protocol, "127.0.0.1", 0, ssl=self.tls if self.implicit_tls else None
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def url(self, user: str = USER, password: str = PASSWORD) -> str:
        from urllib.parse import quote

        scheme = "smtps" if self.implicit_tls else "smtp"
        return f"{scheme}://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{self.port}"
