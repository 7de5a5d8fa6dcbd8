"""A migrated ledger database and a folder bound to it, for ledger integration tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from services.ledger.adapters.db.placed_cache import PLACED_CACHE_ORDERS
from services.ledger.adapters.db.read_repository import party_balances
from services.ledger.adapters.kafka.decoding import RecordDecoder
from services.ledger.adapters.kafka.fold_consumer import LedgerFoldConsumer
from services.ledger.app import build_fold_consumer
from shared.db.migrations import upgrade_to_head
from shared.kafka.consumer import ConsumedRecord
from shared.service.clock import utc_now
from tests.support.infra import fresh_database
from tests.support.ledger_events import Sent, as_record

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "ledger" / "migrations"
ORDERS = "orders.test"
PAYOUTS = "payouts.test"
LEDGER = "ledger.test"


async def migrate(url: str) -> None:
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)


@dataclass
class LedgerDb:
    url: str
    engine: AsyncEngine
    folder: LedgerFoldConsumer
    offset: int = 0

    async def fold(self, *events: Sent, topic: str = ORDERS) -> None:
        """Fold the events as one consumed batch (each at the next offset of partition 0)."""
        records: Sequence[ConsumedRecord] = [
            as_record(topic, sent, self.offset + n) for n, sent in enumerate(events)
        ]
        self.offset += len(records)
        await self.folder.handle(records)

    async def balances(self, party_type: str, party_id: str) -> dict[tuple[str, str], int]:
        async with self.engine.connect() as conn:
            found = await party_balances(conn, party_type, party_id)
        return {(b.currency, b.sub_account): b.amount for b in found}


@asynccontextmanager
async def ledger_database(
    placed_cache_orders: int = PLACED_CACHE_ORDERS,
) -> AsyncIterator[LedgerDb]:
    async with fresh_database("ledger") as (url, engine):
        await migrate(url)
        decoder = RecordDecoder(topic_orders=ORDERS, topic_payouts=PAYOUTS)
        folder = build_fold_consumer(
            engine,
            decoder,
            topic_ledger=LEDGER,
            clock=utc_now,
            placed_cache_orders=placed_cache_orders,
        )
        yield LedgerDb(url, engine, folder)
