"""Folding a batch of consumed records into the journal, exactly once.

One database transaction per batch holds everything the batch changes: the dedupe markers
(CloudEvents ids already folded are dropped), the journal entries, the order and payout
projections, the ``ledger.v1`` outbox rows and the consumer positions. A crash before commit
leaves nothing; after commit the stored positions move past the batch, so on restart it is
neither lost nor folded twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.ledger.adapters.db.journal_repository import (
    PLACED_CACHE_ORDERS,
    PlacedCache,
    load_state,
    write_output,
)
from services.ledger.adapters.db.tables import consumer_positions, outbox, processed_events
from services.ledger.domain.fold import fold
from services.ledger.domain.outputs import Incoming, Publication
from services.ledger.service.decoding import RecordDecoder
from shared.db.inbox import claim_new_events, save_positions
from shared.db.outbox import add_to_outbox
from shared.events import ledger_v1
from shared.events.envelope import KafkaRecord
from shared.events.payouts_v1 import PayoutCreated, PayoutFailed, PayoutPaid
from shared.kafka.consumer import ConsumedRecord, next_offsets

CONFLICT_ATTEMPTS = 5
_CONFLICT_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
CONSUMER_NAME = "ledger"
"""The inbox's consumer name: dedupe markers and positions are stored under it."""


def _publication_record(publication: Publication, recorded_at: datetime) -> KafkaRecord:
    return ledger_v1.to_record(publication.event, event_id=publication.event_id, time=recorded_at)


class LedgerFolder:
    """The ``BatchHandler`` of the ledger's consumer (see ``process_with_dead_letters``)."""

    def __init__(
        self,
        engine: AsyncEngine,
        decode: RecordDecoder,
        *,
        topic_ledger: str,
        clock: Callable[[], datetime],
        placed_cache_orders: int = PLACED_CACHE_ORDERS,
    ) -> None:
        self._engine = engine
        self._decode = decode
        self._topic_ledger = topic_ledger
        self._clock = clock
        self._placed = PlacedCache(placed_cache_orders)
        self.folded_total = 0
        """Events folded (new ones; duplicates are not counted) since start."""

    async def handle(self, records: Sequence[ConsumedRecord]) -> None:
        """Fold ``records`` in one transaction; a deadlock or serialization failure with a
        concurrent folder (e.g. two replicas during a rebalance) retries the whole batch."""
        incoming = [self._decode(record) for record in records]
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                await self._fold_once(records, incoming)
                return
            except DBAPIError as error:
                if attempt == CONFLICT_ATTEMPTS or not _is_conflict(error):
                    raise
                await asyncio.sleep(0.01 * attempt)

    async def _fold_once(
        self, records: Sequence[ConsumedRecord], incoming: Sequence[Incoming]
    ) -> None:
        async with self._engine.begin() as conn:
            new_ids = await claim_new_events(
                conn, processed_events, CONSUMER_NAME, [i.event_id for i in incoming]
            )
            fresh = _first_of_each(incoming, new_ids)
            state = await load_state(conn, *_touched(fresh), cache=self._placed)
            output = fold(state, fresh)
            recorded_at = self._clock()
            await write_output(conn, output, state, recorded_at)
            await add_to_outbox(
                conn,
                outbox,
                self._topic_ledger,
                [_publication_record(p, recorded_at) for p in output.publications],
            )
            await save_positions(conn, consumer_positions, CONSUMER_NAME, next_offsets(records))
        for key in output.touched_orders:
            self._placed.put(state.orders[key])
        self.folded_total += len(fresh)

    async def skip(self, record: ConsumedRecord) -> None:
        async with self._engine.begin() as conn:
            await save_positions(conn, consumer_positions, CONSUMER_NAME, next_offsets([record]))


def _is_conflict(error: DBAPIError) -> bool:
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return code in _CONFLICT_SQLSTATES


def _first_of_each(incoming: Sequence[Incoming], new_ids: set[str]) -> list[Incoming]:
    """The new events in order, each once even if the batch repeats it."""
    seen: set[str] = set()
    fresh = []
    for item in incoming:
        if item.event_id in new_ids and item.event_id not in seen:
            seen.add(item.event_id)
            fresh.append(item)
    return fresh


def _touched(events: Sequence[Incoming]) -> tuple[set[tuple[str, str]], set[str]]:
    orders: set[tuple[str, str]] = set()
    payouts: set[str] = set()
    for item in events:
        event = item.event
        if isinstance(event, PayoutCreated | PayoutPaid | PayoutFailed):
            payouts.add(event.payout_id)
        else:  # a placement too: a second one for the same order must see the first
            orders.add(event.order_key)
    return orders, payouts
