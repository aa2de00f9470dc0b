"""Typed settings, read once from the environment and an optional `.env` file.

Every field has a default and a one-line description; `load_settings()` turns a bad value
into one clear line (`SettingsError`) instead of a traceback, so an operator sees at once
which variable is wrong and why.
"""

from __future__ import annotations

import hashlib
import re
from email.utils import parseaddr
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.mail import SmtpTarget

DEFAULT_SQLITE_PATH = Path("data") / "ketnoi.db"
_SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_BOT_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_ZALO_TOKEN_RE = re.compile(r"^\d+:\S+$")


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it and says why."""


class Settings(BaseSettings):
    """KetNoi's configuration. Environment variable names are the upper-case field names."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(
        default=f"sqlite+aiosqlite:///{DEFAULT_SQLITE_PATH}",
        description="SQLAlchemy async URL; SQLite (aiosqlite) or PostgreSQL (asyncpg).",
    )
    database_wait_seconds: float = Field(
        default=60, ge=0, le=3600,
        description="How long start-up waits for a database that is not reachable yet (a container often starts first).",
    )
    telegram_bot_token: SecretStr | None = Field(
        default=None, description="Token from @BotFather; Telegram is off without it."
    )
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org/bot",
        description="Bot API base URL, python-telegram-bot's base_url convention (token appended).",
    )
    telegram_bot_username: str | None = Field(
        default=None, description="Bot username for invite links printed by the CLI (asked from Telegram when unset)."
    )
    telegram_webhook_url: str | None = Field(
        default=None, description="Public HTTPS URL of our webhook; polling is used when unset."
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None, description="Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (1-256 of A-Z a-z 0-9 _ -)."
    )
    zalo_bot_token: SecretStr | None = Field(
        default=None, description="Token from Zalo Bot Creator (digits:characters); Zalo is off without it."
    )
    zalo_api_base_url: str = Field(
        default="https://bot-api.zaloplatforms.com/bot",
        description="Zalo Bot API base URL (token appended); e.g. https://bot-api.zapps.me/bot if the new host fails.",
    )
    zalo_webhook_url: str | None = Field(
        default=None, description="Public HTTPS URL of our Zalo webhook; long polling is used when unset."
    )
    zalo_webhook_secret: SecretStr | None = Field(
        default=None, description="Secret Zalo sends in X-Bot-Api-Secret-Token (8-256 characters)."
    )
    zalo_messages_per_second: float = Field(
        default=5, gt=0, le=100, description="Broadcast rate to Zalo (Zalo publishes no limit: start low)."
    )
    zalo_state_dir: Path = Field(
        default=Path("data") / "zalo",
        description="Where versions before 0017 kept Zalo events not yet processed (moved into the database at start).",
    )
    zalo_inbox_lease_seconds: float = Field(
        default=60.0, gt=0, le=3600,
        description="Seconds before another process takes over the Zalo events of a process that died.",
    )
    facebook_graph_api_base_url: str = Field(
        default="https://graph.facebook.com/v26.0",
        description="Graph API base URL with its version, for publishing on linked Facebook Pages.",
    )
    page_token_key: SecretStr | None = Field(
        default=None,
        description="Fernet key that encrypts Page access tokens at rest (python -m bot pages key); Pages are off without it.",
    )
    public_base_url: str | None = Field(
        default=None,
        description="Public https URL of this server; Zalo fetches our images and files from <url>/media/.",
    )
    tz_name: str = Field(default="Asia/Ho_Chi_Minh", description="Time zone in which times are shown.")
    web_host: str = Field(default="127.0.0.1", description="Address the aiohttp server listens on.")
    web_port: int = Field(default=8080, ge=1, le=65535, description="Port of the aiohttp server.")
    conversation_ttl_hours: int = Field(
        default=72, ge=1, le=24 * 60, description="Hours after which an untouched conversation expires."
    )
    invite_ttl_days: int = Field(default=14, ge=1, le=365, description="Days an invite stays valid.")
    code_tries_per_hour: int = Field(
        default=5, ge=1, le=1000,
        description="Wrong invite or link codes an account may type in an hour before it must wait.",
    )
    reminder_tick_minutes: float = Field(
        default=5, gt=0, le=60, description="How often the scheduler checks for reminders that fell due."
    )
    broadcast_limits: bool = Field(
        default=True,
        description="Pace everything sent (replies and broadcasts) within the platforms' limits (off only against an emulator).",
    )
    telegram_paid_broadcast: bool = Field(
        default=False, description="Paid broadcasts (Telegram Stars): raises the overall rate to 1000/s."
    )
    allow_self_approval: bool = Field(
        default=False, description="Let a single-admin province approve its own content."
    )
    outbox_lease_seconds: float = Field(
        default=120, gt=0, le=3600,
        description="Lease (seconds) on broadcast messages a process claimed: after a crash they are sent once it runs out.",
    )
    console_idle_minutes: int = Field(
        default=30, ge=1, le=24 * 60,
        description="Minutes after which an unused web console session ends (sign in again with /quanly).",
    )
    smtp_url: SecretStr | None = Field(
        default=None,
        description="Mail server: smtp://user:password@host:587 (STARTTLS), smtps://...:465 (TLS) or smtp+plain://host:25; mail is off without it.",
    )
    mail_from: str | None = Field(
        default=None, description="Sender of the units' e-mails, e.g. Kết Nối <ketnoi@mttq.example.vn> (needed with SMTP_URL)."
    )
    smtp_ca_file: Path | None = Field(
        default=None, description="PEM file of the certificate authorities to trust for the mail server (default: the system's)."
    )
    log_level: str = Field(default="INFO", description="Python logging level.")
    log_format: Literal["text", "json"] = Field(
        default="text", description="Log lines as text, or as one JSON object per line (for a log collector)."
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token GET /metrics asks for (Authorization: Bearer ...); /metrics is open without it.",
    )

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _BOT_TOKEN_RE.match(value.get_secret_value()):
            raise ValueError("does not look like a bot token (digits, a colon, then letters)")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET_TOKEN_RE.match(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("zalo_bot_token")
    @classmethod
    def _check_zalo_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _ZALO_TOKEN_RE.match(value.get_secret_value()):
            raise ValueError("does not look like a Zalo bot token (digits, a colon, then characters)")
        return value

    @field_validator("page_token_key")
    @classmethod
    def _check_page_token_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        from bot.services.pages.sealing import SealError, TokenBox  # cryptography only when a key is set

        try:
            TokenBox(value.get_secret_value().strip())
        except SealError:
            raise ValueError("is not a Fernet key (44 characters of url-safe base64); make one with: "
                             "python -m bot pages key") from None
        return SecretStr(value.get_secret_value().strip())

    @field_validator("zalo_webhook_secret")
    @classmethod
    def _check_zalo_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not 8 <= len(value.get_secret_value()) <= 256:
            raise ValueError("must be 8-256 characters")
        return value

    @field_validator("telegram_webhook_url", "zalo_webhook_url", "public_base_url", "facebook_graph_api_base_url")
    @classmethod
    def _check_webhook_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value or None

    @field_validator("smtp_url")
    @classmethod
    def _check_smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip():
            SmtpTarget.parse(value.get_secret_value())  # a ValueError names what is wrong
            return value
        return None

    @field_validator("smtp_ca_file")
    @classmethod
    def _check_ca_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value} is not a file (a PEM file of certificate authorities)")
        return value

    @field_validator("mail_from")
    @classmethod
    def _check_mail_from(cls, value: str | None) -> str | None:
        if value and "@" not in parseaddr(value)[1]:
            raise ValueError("must be an e-mail address, e.g. Kết Nối <ketnoi@mttq.example.vn>")
        return value or None

    @field_validator("tz_name")
    @classmethod
    def _check_tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("is not a known time zone") from exc
        return value

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.telegram_webhook_url and not self.telegram_webhook_secret:
            raise ValueError("TELEGRAM_WEBHOOK_URL is set but TELEGRAM_WEBHOOK_SECRET is not")
        if self.zalo_webhook_url and not self.zalo_webhook_secret:
            raise ValueError("ZALO_WEBHOOK_URL is set but ZALO_WEBHOOK_SECRET is not")
        if self.smtp_url and not self.mail_from:
            raise ValueError("SMTP_URL is set but MAIL_FROM is not")
        return self

    @property
    def smtp_target(self) -> SmtpTarget | None:
        """Where mail goes, or None when mail is off."""
        return SmtpTarget.parse(self.smtp_url.get_secret_value()) if self.smtp_url else None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tz_name)

    def feedback_hash_key(self) -> bytes:
        """The key of the feedback limit's sender hashes: from the secrets, so alike in every process."""
        return hashlib.sha256("\0".join(["ketnoi-feedback-limit", *self.secrets()]).encode()).digest()

    def secrets(self) -> list[str]:
        """Every secret value, so the log filter can scrub them."""
        found = [
            s.get_secret_value()
            for s in (
                self.telegram_bot_token, self.telegram_webhook_secret, self.zalo_bot_token, self.zalo_webhook_secret,
                self.page_token_key, self.smtp_url, self.metrics_token,
            )
            if s is not None
        ]
        target = self.smtp_target
        return found + ([target.password] if target is not None and target.password else [])


def load_settings(**overrides: object) -> Settings:
    """Read and validate the settings once; raise `SettingsError` with one clear line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]).upper()
        message = first["msg"].removeprefix("Value error, ")
        where = f"{field}: " if field else ""
        raise SettingsError(f"Configuration error: {where}{message}") from None


def settings_table() -> list[tuple[str, str, str]]:
    """(variable, default, help) rows, for the README and `python -m bot settings`."""
    rows = []
    for name, info in Settings.model_fields.items():
        default = info.default if info.default is not None else ""
        rows.append((name.upper(), str(default), info.description or ""))
    return rows
