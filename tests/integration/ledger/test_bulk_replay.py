"""The replay's in-memory fold + COPY load writes what the live, batch-by-batch fold writes."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.ledger import replay_rebuild
from services.ledger.adapters.kafka.decoding import RecordDecoder
from services.ledger.replay_rebuild import replay_into
from shared.db.outbox import OutgoingRecord
from shared.events.orders_v1 import OrderRefunded
from shared.kafka.consumer import ConsumedRecord
from shared.kafka.dead_letters import process_with_dead_letters
from shared.service.clock import utc_now
from tests.support.infra import fresh_database
from tests.support.ledger_db import LEDGER, ORDERS, PAYOUTS, ledger_database, migrate
from tests.support.ledger_events import OrderStream, Sent, as_record, new_id

_SNAPSHOT_QUERIES = {
    "entries": "SELECT id, event_id, order_id, kind, currency, occurred_at, rule_version, "
    "details FROM journal_entries ORDER BY seq",
    "postings": "SELECT entry_id, line_no, account, currency, amount, leg, plan_id, rate_bps, "
    "occurred_at FROM postings ORDER BY entry_id, line_no",
    "accounts": "SELECT * FROM accounts ORDER BY code",
    "orders": "SELECT order_id, placed, refunded_total, cancelled, released, delivered_at "
    "FROM ledger_orders ORDER BY order_id",
    "processed": "SELECT consumer, event_id FROM processed_events ORDER BY event_id",
    "positions": "SELECT consumer, topic, partition, next_offset FROM consumer_positions",
    "outbox": "SELECT topic, key, value FROM outbox ORDER BY id",
}


async def snapshot(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    async with engine.connect() as conn:
        return {
            name: [tuple(row) for row in await conn.execute(text(query))]
            for name, query in _SNAPSHOT_QUERIES.items()
        }


def stream_with_trouble() -> tuple[list[ConsumedRecord], int]:
    """Orders with a repeated event, a malformed record and a refund of an unknown order
    (the two the live ledger dead-letters); returns the records and how many must fail."""
    sent = OrderStream(seed=5).events(300)
    orphan = OrderRefunded(
        order_id="never-placed",
        shop_id="shop-x",
        refund_id="r-1",
        amount=10,
        occurred_at=sent[0].event.occurred_at,  # type: ignore[union-attr]
        refunded_total=10,
    )
    stream: list[Sent] = [*sent[:200], sent[150], Sent(new_id(), orphan), *sent[200:]]
    records = [as_record(ORDERS, s, offset) for offset, s in enumerate(stream)]
    malformed = dataclasses.replace(records[100], value=b"{not json")
    records = [*records[:100], malformed, *records[100:]]
    records = [dataclasses.replace(r, offset=offset) for offset, r in enumerate(records)]
    return records, 2


async def fold_live(records: Sequence[ConsumedRecord], batch: int) -> dict[str, Any]:
    dead: list[OutgoingRecord] = []

    async def keep(letters: Sequence[OutgoingRecord]) -> None:
        dead.extend(letters)

    async with ledger_database() as db:
        for start in range(0, len(records), batch):
            await process_with_dead_letters(
                db.folder, records[start : start + batch], keep, max_attempts=1
            )
        state = await snapshot(db.engine)
    return {"dead_letters": len(dead), **state}


@pytest.mark.parametrize("workers", [1, 2])
async def test_a_bulk_replay_writes_exactly_what_the_live_fold_wrote(
    workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replay_rebuild, "MIN_RECORDS_PER_WORKER", 1)  # shard even this small stream
    records, failing = stream_with_trouble()
    live = await fold_live(records, batch=64)
    decoder = RecordDecoder(topic_orders=ORDERS, topic_payouts=PAYOUTS)
    async with fresh_database("ledger_bulk") as (url, engine):
        await migrate(url)
        outcome = await replay_into(
            engine, records, decoder, topic_ledger=LEDGER, clock=utc_now, workers=workers
        )
        replayed = await snapshot(engine)

    assert live["dead_letters"] == failing
    assert len(outcome.failed) == failing
    assert outcome.folded == len(live["processed"])
    assert len(live["entries"]) > 300
    for name in _SNAPSHOT_QUERIES:
        assert replayed[name] == live[name], name


async def test_a_bulk_replay_into_a_database_with_a_journal_writes_nothing() -> None:
    records, _ = stream_with_trouble()
    decoder = RecordDecoder(topic_orders=ORDERS, topic_payouts=PAYOUTS)
    async with ledger_database() as db:
        await db.folder.handle(records[:50])
        before = await snapshot(db.engine)
        with pytest.raises(Exception, match="duplicate key"):
            await replay_into(db.engine, records, decoder, topic_ledger=LEDGER, clock=utc_now)
        after = await snapshot(db.engine)
    assert after == before
