"""How many broadcast deliveries wait to be sent, per platform (for `/metrics`)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery, DeliveryStatus


async def pending_by_platform(session: AsyncSession) -> dict[str, int]:
    """One grouped count over the pending rows (`ix_deliveries_claim` starts with the status)."""
    rows = await session.execute(
        select(Delivery.platform, func.count())
        .where(Delivery.status == DeliveryStatus.PENDING)
        .group_by(Delivery.platform)
    )
    return {platform: count for platform, count in rows.tuples()}
