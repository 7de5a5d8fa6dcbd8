"""Releasing due holds: the scheduler's one transaction per batch."""

from __future__ import annotations

from services.payouts.domain.holds import Hold, release
from services.payouts.service.ports import UnitOfWork
from services.payouts.service.publishing import publish, release_event_id, settlement_released


async def release_due_holds(uow: UnitOfWork, topic: str, *, batch_size: int) -> list[Hold]:
    """Release up to `batch_size` holds that are due by database time, exactly once each.

    In one transaction: lock due holds (`FOR UPDATE SKIP LOCKED`, so replicas share the work
    without overlap), mark them released at the database's `now()`, and queue one
    `settlement.released` per hold in the outbox. Returns the holds released.
    """
    async with uow:
        due = await uow.holds.claim_due(batch_size)
        if not due:
            return []
        now = await uow.database_now()
        released = [release(hold, now) for hold in due]
        await uow.holds.mark_released(released)
        await publish(
            uow,
            topic,
            [(release_event_id(hold), settlement_released(hold)) for hold in released],
            time=now,
        )
        await uow.commit()
    return released
