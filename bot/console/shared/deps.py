"""What the console is built with, handed in by the composition root (the console imports no root module)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.messages import Response
from handlers.dispatch import Dispatcher


@dataclass(frozen=True)
class ConsoleDeps:
    session_factory: async_sessionmaker[AsyncSession]
    clock: Callable[[], datetime]
    dispatcher: Dispatcher
    route: Callable[[Response], Awaitable[None]]  # a response's notices and edits, to people in chat
    tz_name: str = "Asia/Ho_Chi_Minh"
    idle: timedelta = timedelta(minutes=30)
    secure_cookies: bool = False  # behind https (PUBLIC_BASE_URL): the cookie is `Secure`
    fetch_file: Callable[[str, str], Awaitable[bytes]] | None = None  # (platform, file id) -> a photo's bytes
