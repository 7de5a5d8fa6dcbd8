"""All SQL of the webhook path, as prepared statements on the asyncpg connection itself.

The webhook is the hot path of the service, so it skips SQLAlchemy's statement building and
result machinery (most of its CPU per request) and takes five round trips: the shop with its
plans (before the transaction: reading it needs no lock), BEGIN, the claim of the ``webhook-id``
with the order row lock, the append with the outbox rows, COMMIT. asyncpg prepares each statement
once per connection and reuses it. The connection comes from the engine's pool, so the pool size
and the other endpoints are unchanged.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import asyncpg
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from services.orders.adapters.db.event_codec import StoredEvent
from services.orders.adapters.db.orders import StoredOrder, stored_order
from services.orders.adapters.db.plans import plan_of
from services.orders.adapters.db.shops import Shop, shop_from_row
from services.orders.adapters.secret_box import SecretBox
from services.orders.domain.plans import Plan
from shared.db.outbox import RecordLike, locked_outbox_insert_args, locked_outbox_insert_sql

_PLANS_ACTIVE_AT = (
    "($2::timestamptz IS NOT NULL"
    " AND (p.starts_at IS NULL OR p.starts_at <= $2)"
    " AND (p.ends_at IS NULL OR p.ends_at > $2))"
)
_SHOP_WITH_PLANS = (
    "SELECT s.shop_id, s.region, s.currency, s.webhook_secret, s.previous_webhook_secret,"  # noqa: S608
    " s.previous_secret_expires_at,"
    " p.plan_id, p.type, p.rate_bps, p.skus, p.creator_ids, p.starts_at, p.ends_at"
    f" FROM shops s LEFT JOIN plans p ON p.shop_id = s.shop_id AND {_PLANS_ACTIVE_AT}"
    " WHERE s.shop_id = $1"
)
_PLANS_OF_SHOP = (
    "SELECT p.shop_id, p.plan_id, p.type, p.rate_bps, p.skus, p.creator_ids, p.starts_at,"  # noqa: S608
    f" p.ends_at FROM plans p WHERE p.shop_id = $1 AND {_PLANS_ACTIVE_AT}"
)
# The order row is only touched (created or locked) when the claim is new. An order is
# identified by (shop_id, order_id): a shop's webhook only ever finds or creates its own order.
_CLAIM_AND_LOCK = (
    "WITH claim AS ("
    " INSERT INTO webhook_deliveries (shop_id, webhook_id, body_sha256, event_id, order_id)"
    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (shop_id, webhook_id) DO NOTHING"
    " RETURNING event_id),"
    " locked AS ("
    " INSERT INTO orders (shop_id, order_id, status, events)"
    " SELECT $1, $5, 'awaiting_placement', '[]'::jsonb WHERE EXISTS (SELECT FROM claim)"
    " ON CONFLICT (shop_id, order_id) DO UPDATE SET order_id = excluded.order_id"
    " RETURNING events, terms, status)"
    " SELECT events, terms, status FROM locked"
)
# On the locked row of a parked order: its held facts come back (see ``parking``).
_UNPARK = (
    "WITH unparked AS (DELETE FROM parked_orders WHERE shop_id = $1 AND order_id = $2"
    " RETURNING events)"
    " UPDATE orders o SET events = unparked.events, status = 'awaiting_placement' FROM unparked"
    " WHERE o.shop_id = $1 AND o.order_id = $2 RETURNING o.events"
)
_PRIOR_DELIVERY = (
    "SELECT body_sha256, event_id FROM webhook_deliveries WHERE shop_id = $1 AND webhook_id = $2"
)
_APPEND = (
    "appended AS (UPDATE orders SET events = events || $3::jsonb, status = $4,"
    " terms = coalesce($5::jsonb, terms), updated_at = now()"
    " WHERE shop_id = $1 AND order_id = $2)"
)


@dataclass(frozen=True, slots=True)
class PriorDelivery:
    """What the first accepted delivery of a ``webhook-id`` was and what it was answered."""

    body_sha256: bytes
    event_id: str


@cache
def _append_and_queue_sql(outbox: Table) -> str:
    return locked_outbox_insert_sql(outbox, first_param=6, also_with=_APPEND)


class WebhookStore:
    """The webhook path's reads and writes on one pooled connection (see the module doc)."""

    def __init__(self, connection: asyncpg.Connection, outbox: Table, box: SecretBox) -> None:
        self._connection = connection
        self._box = box
        self._append_and_queue = _append_and_queue_sql(outbox)

    async def shop_with_plans(
        self, shop_id: str, plans_at: datetime | None
    ) -> tuple[Shop, list[Plan]] | None:
        """The shop and, when ``plans_at`` is given, its plans active at that instant."""
        rows = await self._connection.fetch(_SHOP_WITH_PLANS, shop_id, plans_at)
        if not rows:
            return None
        plans = [plan_of(row) for row in rows if row["plan_id"] is not None]
        return shop_from_row(rows[0], self._box), plans

    async def plans_active_at(self, shop_id: str, at: datetime) -> list[Plan]:
        """The shop's plans active at instant ``at`` (``starts_at <= at < ends_at``)."""
        return [plan_of(row) for row in await self._connection.fetch(_PLANS_OF_SHOP, shop_id, at)]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Commits when the block ends, rolls everything back when it raises."""
        async with self._connection.transaction():
            yield

    async def claim_delivery_and_lock_order(
        self,
        *,
        shop_id: str,
        webhook_id: str,
        body_sha256: bytes,
        event_id: str,
        order_id: str,
    ) -> StoredOrder | PriorDelivery:
        """Claim ``(shop_id, webhook_id)`` for this delivery and, if the claim is new, lock the
        row of order ``(shop_id, order_id)`` (created empty if absent) until the transaction
        ends; one round trip. Another shop's order of the same id is never read or locked.

        The held facts of a parked order are taken back first (one more round trip, only then).
        Returns the locked order, or the earlier delivery of the same id (nothing locked). A
        concurrent delivery of the same id waits for the first one's transaction: if it
        committed, this returns its record; if it rolled back, this one becomes the first. The
        row lock is the one ``INSERT ... ON CONFLICT DO UPDATE`` takes, the same as ``SELECT ...
        FOR UPDATE``: two webhooks of one order never decide at the same time. Rows of a
        rolled-back transaction leave nothing behind.
        """
        row = await self._connection.fetchrow(
            _CLAIM_AND_LOCK, shop_id, webhook_id, body_sha256, event_id, order_id
        )
        if row is not None:
            events = row["events"]
            if row["status"] == "parked":
                events = await self._connection.fetchval(_UNPARK, shop_id, order_id)
            return stored_order(order_id, shop_id, events, row["terms"])
        # A separate statement: the claim's snapshot predates a concurrent first delivery that
        # committed while this one waited on its row.
        prior = await self._connection.fetchrow(_PRIOR_DELIVERY, shop_id, webhook_id)
        if prior is None:
            raise RuntimeError(f"webhook-id {webhook_id} neither claimed nor found")
        return PriorDelivery(body_sha256=prior["body_sha256"], event_id=prior["event_id"])

    async def append_and_queue(
        self,
        shop_id: str,
        order_id: str,
        new_events: Sequence[StoredEvent],
        *,
        status: str,
        terms: dict[str, Any] | None,
        topic: str,
        records: Sequence[RecordLike],
    ) -> None:
        """Append to the stream of the locked row of order ``(shop_id, order_id)``, set its
        status (and terms, when given) and queue ``records`` on the outbox for ``topic``, as
        ``add_to_outbox`` would; one round trip."""
        await self._connection.execute(
            self._append_and_queue,
            shop_id,
            order_id,
            json.dumps([event.to_json() for event in new_events]),
            status,
            json.dumps(terms) if terms is not None else None,
            *locked_outbox_insert_args(topic, records),
        )


@asynccontextmanager
async def webhook_store(
    engine: AsyncEngine, outbox: Table, box: SecretBox
) -> AsyncIterator[WebhookStore]:
    """A store on a connection checked out of ``engine``'s pool, returned when the block ends.

    A connection that broke meanwhile is invalidated instead: errors raised by asyncpg itself
    do not pass through SQLAlchemy, which would otherwise notice.
    """
    async with engine.connect() as conn:
        driver: asyncpg.Connection = (await conn.get_raw_connection()).driver_connection
        try:
            yield WebhookStore(driver, outbox, box)
        except _BROKEN_CONNECTION:
            await conn.invalidate()
            raise
        finally:
            if driver.is_closed() and not conn.invalidated:
                await conn.invalidate()


_BROKEN_CONNECTION = (
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.PostgresConnectionError,
    OSError,
)
