"""E-mail at the core: where the SMTP server is (`SmtpTarget`, parsed from SMTP_URL) and the one
small protocol the mail outbox sends through (`MailSender`).

The URL scheme says how the connection is secured, so there is one variable to get right:

- ``smtp://user:password@host:587``  STARTTLS, required (the default port is 587);
- ``smtps://user:password@host:465`` TLS from the first byte (the default port is 465);
- ``smtp+plain://host:25``           no TLS and no login: only for a relay on this machine or network.

User name and password are percent-encoded (``@`` is ``%40``). A sender raises the core's
`Transient` (4xx replies, a refused or broken connection: try again later) or `Rejected`
(5xx replies: trying again will not help), so the outbox never sees an SMTP library's errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlsplit

STARTTLS, TLS, PLAIN = "starttls", "tls", "plain"
_SCHEMES = {"smtp": (STARTTLS, 587), "smtps": (TLS, 465), "smtp+plain": (PLAIN, 25)}


@dataclass(frozen=True)
class SmtpTarget:
    """Host, port, how the connection is secured, and the login (if any)."""

    host: str
    port: int
    security: str  # starttls | tls | plain
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        """Read SMTP_URL; `ValueError` with a message that says what is wrong and what is expected."""
        parts = urlsplit(url.strip())
        if parts.scheme not in _SCHEMES:
            raise ValueError("must start with smtp:// (STARTTLS), smtps:// (TLS) or smtp+plain:// (no TLS)")
        if not parts.hostname:
            raise ValueError("names no host (e.g. smtp://user:password@mail.example.vn:587)")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError("takes no path or query: smtp://user:password@host:port")
        try:
            port = parts.port
        except ValueError as exc:
            raise ValueError("has a port that is not a number from 1 to 65535") from exc
        security, default_port = _SCHEMES[parts.scheme]
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        if security == PLAIN and username:
            raise ValueError("smtp+plain:// would send the password in clear; use smtp:// (STARTTLS) or smtps://")
        if username and password is None:
            raise ValueError("names a user but no password (smtp://user:password@host)")
        return cls(parts.hostname, port or default_port, security, username, password)

    def __repr__(self) -> str:  # never the password
        return f"SmtpTarget({self.security}://{self.host}:{self.port}, login={'yes' if self.username else 'no'})"


class MailSender(Protocol):
    """Sends one message, or raises `Transient` / `Rejected` (bot.core.sending)."""

    async def send(self, message: EmailMessage) -> None: ...
