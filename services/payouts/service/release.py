"""Releasing due holds: the scheduler's one transaction per batch."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from services.payouts.adapters.db.holds_repository import (
    claim_due_holds,
    database_now,
    mark_released,
)
from services.payouts.domain.holds import Hold, release
from services.payouts.service.publishing import publish, release_event_id, settlement_released


async def release_due_holds(
    engine: AsyncEngine, outbox: Table, topic: str, *, batch_size: int
) -> list[Hold]:
    """Release up to `batch_size` holds that are due by database time, exactly once each.

    In one transaction: lock due holds (`FOR UPDATE SKIP LOCKED`, so replicas share the work
    without overlap), mark them released at the database's `now()`, and queue one
    `settlement.released` per hold in the outbox. Returns the holds released.
    """
    async with engine.begin() as conn:
        due = await claim_due_holds(conn, batch_size)
        if not due:
            return []
        now = await database_now(conn)
        released = [release(hold, now) for hold in due]
        await mark_released(conn, released)
        await publish(
            conn,
            outbox,
            topic,
            [(release_event_id(hold), settlement_released(hold)) for hold in released],
            time=now,
        )
    return released
