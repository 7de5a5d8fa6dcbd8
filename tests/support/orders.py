"""The orders service against real PostgreSQL and Kafka: a migrated database, the app with its
outbox relay running on a unique orders topic, and webhooks signed by the reference
``standardwebhooks`` library."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks.webhooks import Webhook

from services.orders.adapters.db.tables import orders, outbox, webhook_deliveries
from services.orders.app import create_app
from services.orders.settings import OrdersSettings
from shared.kafka.consumer import ConsumedRecord
from shared.kafka.topics import ensure_topics
from shared.service.clock import utc_now
from shared.settings import LOCAL_ADMIN_TOKEN
from tests.support.infra import KAFKA_BOOTSTRAP, fresh_database, unique_name, wait_until
from tests.support.kafka import read_topic

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "orders" / "migrations"
ADMIN = {"Authorization": f"Bearer {LOCAL_ADMIN_TOKEN}"}
T0 = "2026-11-20T10:00:00Z"


def signed_headers(
    secret: str, body: bytes, *, webhook_id: str | None = None, at: datetime | None = None
) -> dict[str, str]:
    """Standard Webhooks headers for ``body``, signed by the reference library."""
    msg_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    timestamp = at or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, timestamp, body.decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


def webhook_body(kind: str, occurred_at: str = T0, **data: Any) -> bytes:
    return json.dumps({"type": kind, "occurred_at": occurred_at, "data": data}).encode()


def placed_body(order_id: str, occurred_at: str = T0, **changes: Any) -> bytes:
    """A UK placement: lines A 2 x 1500 and B 1 x 1000 (discount 100), shipping 399,
    sold by creator ``c-1`` (paid_total 4299)."""
    data: dict[str, Any] = {
        "order_id": order_id,
        "currency": "GBP",
        "lines": [
            {"sku": "A", "quantity": 2, "unit_price": 1500, "discount": 0},
            {"sku": "B", "quantity": 1, "unit_price": 1000, "discount": 100},
        ],
        "shipping_fee": 399,
        "creator_id": "c-1",
        **changes,
    }
    return webhook_body("order.placed", occurred_at, **data)


@dataclass
class RunningOrders:
    app: FastAPI
    client: httpx.AsyncClient
    engine: AsyncEngine
    topic: str

    def read_token(self, party_type: str, party_id: str) -> dict[str, str]:
        token = self.app.state.token_authority.issue(party_type, party_id).token
        return {"Authorization": f"Bearer {token}"}

    async def issued_token(self, party_type: str, party_id: str) -> dict[str, str]:
        """Headers with a read token issued through ``POST /v1/tokens``, as an operator gets one."""
        response = await self.client.post(
            "/v1/tokens", json={"party_type": party_type, "party_id": party_id}, headers=ADMIN
        )
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    async def create_shop(self, shop_id: str = "shop-1", region: str = "UK") -> str:
        """Create the shop; returns its webhook secret."""
        response = await self.client.post(
            "/v1/shops", json={"shop_id": shop_id, "region": region}, headers=ADMIN
        )
        assert response.status_code in (200, 201), response.text
        secret: str = response.json()["webhook_secret"]
        return secret

    async def add_plan(self, shop_id: str, **plan: Any) -> dict[str, Any]:
        response = await self.client.post(f"/v1/shops/{shop_id}/plans", json=plan, headers=ADMIN)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def post_webhook(
        self, shop_id: str, secret: str, body: bytes, **signing: Any
    ) -> httpx.Response:
        headers = signed_headers(secret, body, **signing)
        return await self.client.post(
            f"/v1/shops/{shop_id}/webhooks", content=body, headers=headers
        )

    async def rows(self) -> dict[str, int]:
        """How many orders, webhook deliveries and outbox rows the database holds."""
        async with self.engine.connect() as conn:
            return {
                table.name: await conn.scalar(select(func.count()).select_from(table)) or 0
                for table in (orders, webhook_deliveries, outbox)
            }

    async def published(self, expected: int, timeout_s: float = 30) -> list[ConsumedRecord]:
        """The topic's records once the outbox is drained and ``expected`` arrived."""

        async def drained() -> bool:
            async with self.engine.connect() as conn:
                left = await conn.scalar(
                    select(func.count()).where(outbox.c.published_at.is_(None))
                )
            return left == 0

        await wait_until(drained, timeout_s)
        records = await read_topic(self.topic, expected=expected, timeout_s=timeout_s)
        return sorted(records, key=lambda r: (r.partition, r.offset))


def migrate(url: str, revision: str = "head") -> None:
    """Run the orders migrations on ``url`` up to ``revision`` (e.g. ``orders_0003``)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, revision)


@asynccontextmanager
async def orders_database(revision: str = "head") -> AsyncIterator[tuple[str, str]]:
    """(database url, topic): a fresh database migrated up to ``revision`` and a unique orders
    topic."""
    topic = unique_name("orders_v1")
    await ensure_topics(KAFKA_BOOTSTRAP, [topic])
    async with fresh_database("orders") as (url, _):
        await asyncio.to_thread(migrate, url, revision)
        yield url, topic


@asynccontextmanager
async def orders_app(
    url: str, topic: str, *, clock: Callable[[], datetime] = utc_now, **overrides: Any
) -> AsyncIterator[RunningOrders]:
    """The orders app, its workers running, on an existing database (e.g. to restart it);
    ``clock`` tells when it receives a webhook."""
    settings = OrdersSettings.model_validate(
        {"database_url_override": url, "topic_orders": topic, **overrides}
    )
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://orders") as client:
            yield RunningOrders(app, client, app.state.orders.engine, topic)


@asynccontextmanager
async def running_orders(
    *, clock: Callable[[], datetime] = utc_now, **overrides: Any
) -> AsyncIterator[RunningOrders]:
    """The orders app with its workers running, on a fresh database and a unique topic."""
    async with (
        orders_database() as (url, topic),
        orders_app(url, topic, clock=clock, **overrides) as orders,
    ):
        yield orders


def headers_of(record: ConsumedRecord) -> dict[str, str]:
    return {name: value.decode() for name, value in record.headers}
