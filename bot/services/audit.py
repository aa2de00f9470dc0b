"""The audit log: every privileged action is written in the same transaction as the action."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


def record(
    session: AsyncSession,
    action: str,
    *,
    now: datetime,
    actor_id: int | None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits)."""
    entry = AuditEntry(at=now, actor_id=actor_id, action=action, target=target, details=details or {})
    session.add(entry)
    return entry
