"""The payouts service against real PostgreSQL and Kafka: a migrated database, the app with its
workers running, and ledger.v1 events as the ledger would publish them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.payouts.adapters.db.tables import outbox
from services.payouts.app import create_app, unit_of_work_factory
from services.payouts.service.ports import UnitOfWorkFactory
from services.payouts.settings import PayoutsSettings
from shared.db.migrations import upgrade_to_head
from shared.db.outbox import OutgoingRecord
from shared.events import ledger_v1
from shared.events.envelope import to_kafka
from shared.kafka.producer import KafkaSender
from shared.kafka.topics import ensure_topics
from shared.settings import LOCAL_ADMIN_TOKEN
from tests.support.infra import KAFKA_BOOTSTRAP, fresh_database, unique_name, wait_until

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "payouts" / "migrations"
ADMIN = {"Authorization": f"Bearer {LOCAL_ADMIN_TOKEN}"}
UK_TERMS = {"after_sales_window_days": 14, "release_rule": "next_day", "min_payout": 1_000}


@asynccontextmanager
async def migrated_database() -> AsyncIterator[tuple[str, AsyncEngine]]:
    async with fresh_database("payouts") as (url, engine):
        await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
        yield url, engine


def uow_factory(engine: AsyncEngine) -> UnitOfWorkFactory:
    """The service's units of work on a test database (inbox named `payouts-test`)."""
    return unit_of_work_factory(engine, "payouts-test")


async def unique_topics() -> tuple[str, str]:
    """(ledger topic, payouts topic), created with their dead-letter topics."""
    ledger_topic, payouts_topic = unique_name("ledger_v1"), unique_name("payouts_v1")
    await ensure_topics(KAFKA_BOOTSTRAP, [ledger_topic, payouts_topic])
    return ledger_topic, payouts_topic


@dataclass
class RunningPayouts:
    app: FastAPI
    client: httpx.AsyncClient
    ledger_topic: str
    payouts_topic: str

    def read_token(self, party_type: str, party_id: str) -> dict[str, str]:
        token = self.app.state.token_authority.issue(party_type, party_id).token
        return {"Authorization": f"Bearer {token}"}

    async def hold(self, order_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/v1/holds/{order_id}", headers=ADMIN)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def hold_if_known(self, order_id: str) -> dict[str, Any] | None:
        """The hold, or None while the order's posting has not been folded yet (404)."""
        response = await self.client.get(f"/v1/holds/{order_id}", headers=ADMIN)
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@asynccontextmanager
async def running_payouts(**overrides: Any) -> AsyncIterator[RunningPayouts]:
    """The payouts app with every worker running, on a fresh database and unique topics."""
    ledger_topic, payouts_topic = await unique_topics()
    async with migrated_database() as (url, _):
        settings = PayoutsSettings.model_validate(
            {
                "database_url_override": url,
                "topic_ledger": ledger_topic,
                "topic_payouts": payouts_topic,
                "ledger_consumer_group": unique_name("payouts_test"),
                "release_tick_s": 0.1,
                "payout_schedule_enabled": False,
                "metrics_refresh_s": 0.2,
                **overrides,
            }
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://payouts") as client:
                yield RunningPayouts(app, client, ledger_topic, payouts_topic)
                await wait_until(lambda: _outbox_drained(app), timeout_s=30)


async def _outbox_drained(app: FastAPI) -> bool:
    """Everything the service committed is on Kafka, so a test may read the topic."""
    async with app.state.runtime.engine.connect() as conn:
        unpublished = await conn.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        )
    return bool(unpublished == 0)


async def publish_ledger(
    topic: str,
    events: Sequence[ledger_v1.LedgerEvent],
    event_ids: Sequence[str] | None = None,
) -> None:
    """Publish events as the ledger does (CloudEvents, keyed by order or payee), in order; each
    gets a new event id unless `event_ids` names them (to publish a repeat)."""
    ids = list(event_ids) if event_ids is not None else [str(uuid.uuid4()) for _ in events]
    sender = KafkaSender(KAFKA_BOOTSTRAP, client_id="payouts-test-ledger")
    await sender.start()
    try:
        records = []
        for event, event_id in zip(events, ids, strict=True):
            record = to_kafka(
                ledger_v1.to_envelope(event, event_id=event_id, time=datetime.now(UTC))
            )
            records.append(OutgoingRecord(topic, record.key, record.value, record.headers))
        await sender.send_batch(records)
    finally:
        await sender.stop()


def legs(**amounts: int) -> list[dict[str, Any]]:
    """`legs(merchant=3303, creator=516)` -> legs for parties `shop-1`, `c-1`, `a-1`, `UK`."""
    ids = {"merchant": "shop-1", "creator": "c-1", "agency": "a-1", "platform": "UK", "tax": "UK"}
    return [
        {"party_type": party, "party_id": ids[party], "amount": amount}
        for party, amount in amounts.items()
    ]


def order_posted(order_id: str, **amounts: int) -> ledger_v1.LedgerOrderPosted:
    return ledger_v1.LedgerOrderPosted.model_validate(
        {
            "order_id": order_id,
            "shop_id": "shop-1",
            "region": "UK",
            "currency": "GBP",
            "occurred_at": datetime(2026, 1, 1, tzinfo=UTC),
            "paid_total": sum(amounts.values()),
            "legs": legs(**amounts),
            "release_terms": UK_TERMS,
        }
    )


def order_delivered(order_id: str, delivered_at: datetime) -> ledger_v1.LedgerOrderDelivered:
    return ledger_v1.LedgerOrderDelivered(
        order_id=order_id, shop_id="shop-1", currency="GBP", delivered_at=delivered_at
    )


def order_reversed(order_id: str, phase: str, **amounts: int) -> ledger_v1.LedgerOrderReversed:
    return ledger_v1.LedgerOrderReversed.model_validate(
        {
            "order_id": order_id,
            "shop_id": "shop-1",
            "currency": "GBP",
            "reason": "refund",
            "refund_id": f"r-{uuid.uuid4().hex[:8]}",
            "phase": phase,
            "occurred_at": datetime.now(UTC),
            "amount": sum(amounts.values()),
            "legs": legs(**amounts),
        }
    )


def order_released(order_id: str, **amounts: int) -> ledger_v1.LedgerOrderReleased:
    return ledger_v1.LedgerOrderReleased.model_validate(
        {
            "order_id": order_id,
            "shop_id": "shop-1",
            "currency": "GBP",
            "released_at": datetime.now(UTC),
            "legs": legs(**amounts),
        }
    )
