"""The ledger's message handler: a batch of decoded events folded into the journal, exactly once.

One transaction (the unit of work) per batch holds everything the batch changes: the dedupe
markers (event ids already folded are dropped), the journal entries, the order and payout
projections, the ``ledger.v1`` publications and the consumer positions. A crash before commit
leaves nothing; after commit the stored positions move past the batch, so on restart it is
neither lost nor folded twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from services.ledger.domain.fold import evolve
from services.ledger.domain.outputs import Incoming
from services.ledger.domain.state import LedgerState, OrderKey
from services.ledger.service.ports import LedgerUnitOfWork
from shared.events.payouts_v1 import PayoutCreated, PayoutFailed, PayoutPaid
from shared.service.unit_of_work import TopicPartition

CONSUMER_NAME = "ledger"
"""The inbox's consumer name: dedupe markers and positions are stored under it."""


@dataclass(frozen=True, slots=True)
class FoldBatch:
    """Decoded events in consumption order, and the position after the batch in each
    partition it came from."""

    events: Sequence[Incoming]
    next_offsets: Mapping[TopicPartition, int]


async def fold_batch(batch: FoldBatch, uow: LedgerUnitOfWork, clock: Callable[[], datetime]) -> int:
    """Fold the batch's new events in one transaction; returns how many were new.

    Raises what the fold raises (a ``LedgerDomainError``) or the database does, and then nothing
    of the batch is stored. ``clock`` stamps the entries and publications ``recorded_at``.
    """
    async with uow:
        fresh = await uow.claim_new(batch.events)
        order_keys, payout_ids = _touched(fresh)
        state = LedgerState(
            orders=await uow.orders.lock_and_load(order_keys),
            payouts=await uow.payouts.lock_and_load(payout_ids),
        )
        output = evolve(state, fresh)
        recorded_at = clock()
        await uow.journal.append(output.entries, recorded_at)
        await uow.orders.save(output.orders)
        await uow.payouts.save(output.payouts)
        await uow.publish(output.publications, recorded_at)
        await uow.save_positions(batch.next_offsets)
        await uow.commit()
    return len(fresh)


async def skip_record(next_offsets: Mapping[TopicPartition, int], uow: LedgerUnitOfWork) -> None:
    """Move the stored positions past a record that is not folded (it was dead-lettered)."""
    async with uow:
        await uow.save_positions(next_offsets)
        await uow.commit()


def _touched(events: Sequence[Incoming]) -> tuple[set[OrderKey], set[str]]:
    orders: set[OrderKey] = set()
    payouts: set[str] = set()
    for item in events:
        event = item.event
        if isinstance(event, PayoutCreated | PayoutPaid | PayoutFailed):
            payouts.add(event.payout_id)
        else:  # a placement too: a second one for the same order must see the first
            orders.add(event.order_key)
    return orders, payouts
