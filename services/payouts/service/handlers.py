"""Message handlers of the payouts service: plain functions taking a batch of decoded messages
and a unit of work (``service.ports.UnitOfWork``), each batch in one transaction.

The Kafka adapter decodes a batch of ledger.v1 records into `LedgerMessage`s and calls
`handle_ledger_events`; nothing else touches the inbox or the positions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from services.payouts.domain.holds import OrderKey
from services.payouts.service.ledger_events import (
    BalanceMoves,
    BatchHolds,
    apply_ledger_event,
    orders_of,
)
from services.payouts.service.ports import UnitOfWork
from shared.events import ledger_v1
from shared.service.unit_of_work import TopicPartition


@dataclass(frozen=True, slots=True)
class LedgerMessage:
    """One decoded ledger.v1 record: its CloudEvents id (the dedupe key) and its event."""

    event_id: str
    event: ledger_v1.LedgerEvent


def released_by_ledger(events: Sequence[ledger_v1.LedgerEvent]) -> set[OrderKey]:
    """(shop_id, order_id) of the orders the ledger released in these events: nothing of theirs
    is pending there any more (what reconciliation compares this service's pending with)."""
    return {(e.shop_id, e.order_id) for e in events if isinstance(e, ledger_v1.LedgerOrderReleased)}


async def handle_ledger_events(
    messages: Sequence[LedgerMessage],
    next_offsets: Mapping[TopicPartition, int],
    uow: UnitOfWork,
) -> None:
    """Fold a batch of ledger.v1 messages into holds and payee balances, exactly once.

    In one transaction: claim the batch's event ids (a message handled before, or repeated in
    the batch, applies once), lock the holds the new events touch, apply the events in batch
    order in memory, write the holds and balances once, and save `next_offsets` (the positions
    past the batch). Raises PayoutsDomainError (nothing written) for an event that cannot
    apply; the consumer loop then isolates and dead-letters it.
    """
    async with uow:
        fresh = [m.event for m in await uow.claim_new(messages)]
        holds = BatchHolds(await uow.holds.lock(orders_of(fresh)))
        moves = BalanceMoves()
        for event in fresh:
            apply_ledger_event(holds, event, moves)
        await uow.holds.insert(holds.new())
        await uow.holds.save(holds.changed())
        await moves.write(uow.balances)
        await uow.holds.mark_released_by_ledger(released_by_ledger(fresh))
        await uow.save_positions(next_offsets)
        await uow.commit()


async def skip_ledger_records(next_offsets: Mapping[TopicPartition, int], uow: UnitOfWork) -> None:
    """Move the positions past records that were dead-lettered, applying nothing."""
    async with uow:
        await uow.save_positions(next_offsets)
        await uow.commit()


async def stored_ledger_positions(uow: UnitOfWork) -> dict[TopicPartition, int]:
    """Where the ledger consumer resumes: the positions committed with the last batches."""
    async with uow:
        return await uow.stored_positions()
