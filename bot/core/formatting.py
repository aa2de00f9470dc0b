"""How times and numbers are written for Vietnamese readers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def local_time(moment: datetime, tz_name: str) -> str:
    """'09:00 ngày 26/11/2026' in the configured time zone (times are stored in UTC)."""
    local = moment.astimezone(ZoneInfo(tz_name))
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"
