"""Consumes ledger.v1 exactly once: state, dedupe markers and positions commit together."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from services.payouts.adapters.db.holds_repository import (
    insert_holds,
    lock_holds,
    mark_released_by_ledger,
    save_holds,
)
from services.payouts.adapters.db.tables import consumer_positions, processed_events
from services.payouts.service.ledger_events import (
    BalanceMoves,
    BatchHolds,
    apply_ledger_event,
    orders_of,
)
from shared.db.inbox import claim_new_events, load_positions, save_positions
from shared.events import ledger_v1
from shared.events.envelope import from_kafka
from shared.kafka.consumer import BatchConsumer, ConsumedRecord, PositionKey, next_offsets
from shared.kafka.consumer_metrics import ConsumerMetrics
from shared.kafka.dead_letters import SendBatch
from shared.kafka.worker import consume_forever


def released_by_ledger(events: Sequence[ledger_v1.LedgerEvent]) -> set[tuple[str, str]]:
    """(shop_id, order_id) of the orders the ledger released in these events: nothing of theirs
    is pending there any more (what reconciliation compares this service's pending with)."""
    return {(e.shop_id, e.order_id) for e in events if isinstance(e, ledger_v1.LedgerOrderReleased)}


class LedgerEventsHandler:
    """`BatchHandler` for ledger.v1: one transaction per batch (or per isolated record)."""

    def __init__(self, engine: AsyncEngine, consumer_name: str) -> None:
        self._engine = engine
        self._name = consumer_name

    async def handle(self, records: Sequence[ConsumedRecord]) -> None:
        """Parse first (a malformed record raises before anything is written), lock the holds
        the new events touch, apply those events in record order in memory, write the holds
        and balances once, and store the positions past the batch; one transaction."""
        events = []
        for record in records:
            envelope = from_kafka(record.key, record.value, record.headers)
            events.append((envelope.id, ledger_v1.parse_envelope(envelope)))
        async with self._engine.begin() as conn:
            new = await claim_new_events(conn, processed_events, self._name, [i for i, _ in events])
            fresh = []
            for event_id, event in events:
                if event_id in new:
                    new.discard(event_id)  # a repeat inside the batch applies once
                    fresh.append(event)
            holds = BatchHolds(await lock_holds(conn, orders_of(fresh)))
            moves = BalanceMoves()
            for event in fresh:
                apply_ledger_event(holds, event, moves)
            await insert_holds(conn, holds.new())
            await save_holds(conn, holds.changed())
            await moves.write(conn)
            await mark_released_by_ledger(conn, released_by_ledger(fresh))
            await save_positions(conn, consumer_positions, self._name, next_offsets(records))

    async def skip(self, record: ConsumedRecord) -> None:
        async with self._engine.begin() as conn:
            await save_positions(
                conn, consumer_positions, self._name, {record.position_key: record.offset + 1}
            )

    async def stored_positions(self) -> dict[PositionKey, int]:
        async with self._engine.connect() as conn:
            return await load_positions(conn, consumer_positions, self._name)


async def consume_ledger(
    stop: asyncio.Event,
    *,
    engine: AsyncEngine,
    bootstrap_servers: str,
    topic: str,
    group_id: str,
    send_dead_letters: SendBatch,
    metrics: ConsumerMetrics | None = None,
    max_records: int = 500,
) -> None:
    """Worker: fold ledger.v1 until `stop` (shared loop: retries, dead letters, seek-back)."""
    handler = LedgerEventsHandler(engine, group_id)
    consumer = BatchConsumer(
        bootstrap_servers,
        group_id,
        [topic],
        client_id=f"{group_id}-consumer",
        load_positions=handler.stored_positions,
        max_records=max_records,
    )
    await consume_forever(
        stop,
        consumer=consumer,
        handler=handler,
        stored_positions=handler.stored_positions,
        send_dead_letters=send_dead_letters,
        name=group_id,
        metrics=metrics,
    )
