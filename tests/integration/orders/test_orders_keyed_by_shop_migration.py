"""The migration that keys orders by (shop_id, order_id) carries every existing order over: its
stream, terms and status stay, its shop goes on settling it, and its id becomes free for other
shops."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.orders.adapters.db.event_codec import StoredEvent
from services.orders.domain.facts import Line, Placed
from services.orders.domain.order import decide
from shared.events import orders_v1
from shared.events.envelope import from_kafka
from shared.events.terms import OrderTerms
from shared.regions import region_terms
from tests.support.orders import (
    ADMIN,
    migrate,
    orders_app,
    orders_database,
    placed_body,
    webhook_body,
)

BEFORE = "orders_0003"  # the head before orders were keyed by shop
PLACED_AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
PRIMARY_KEY = text(
    "SELECT a.attname FROM pg_index i JOIN pg_attribute a"
    " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
    " WHERE i.indrelid = 'orders'::regclass AND i.indisprimary"
    " ORDER BY array_position(i.indkey::int2[], a.attnum)"
)
ORDER_ROWS = text("SELECT shop_id, order_id, status, events, terms FROM orders ORDER BY shop_id")


def _stream_of_a_placed_order() -> list[dict[str, Any]]:
    """What the webhook path stored for ``placed_body("o-old")`` (no plans: rates 0)."""
    fact = Placed(
        order_id="o-old",
        occurred_at=PLACED_AT,
        currency="GBP",
        lines=(Line("A", 2, 1500, 0), Line("B", 1, 1000, 100)),
        shipping_fee=399,
        creator_id="c-1",
    )
    events = decide(None, fact, plans=()).events
    return [
        StoredEvent(seq=n, event_id=f"evt-{n}", recorded_at=PLACED_AT, event=event).to_json()
        for n, event in enumerate(events, start=1)
    ]


async def _insert_an_order_under_the_old_schema(url: str) -> None:
    terms = OrderTerms.from_region(region_terms("UK")).model_dump(mode="json")
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO shops (shop_id, region, currency, webhook_secret)"
                    " VALUES ('shop-old', 'UK', 'GBP', :secret)"
                ),
                {"secret": SECRET},
            )
            await conn.execute(
                text(
                    "INSERT INTO orders (order_id, shop_id, status, events, terms)"
                    " VALUES ('o-old', 'shop-old', 'placed', CAST(:events AS jsonb),"
                    " CAST(:terms AS jsonb))"
                ),
                {"events": json.dumps(_stream_of_a_placed_order()), "terms": json.dumps(terms)},
            )
            await conn.execute(
                text(
                    "INSERT INTO webhook_deliveries"
                    " (shop_id, webhook_id, body_sha256, event_id, order_id)"
                    " VALUES ('shop-old', 'msg-old', :sha256, 'evt-1', 'o-old')"
                ),
                {"sha256": hashlib.sha256(placed_body("o-old")).digest()},
            )
            old_key = (await conn.execute(PRIMARY_KEY)).scalars().all()
    finally:
        await engine.dispose()
    assert old_key == ["order_id"]


async def test_an_order_from_before_the_migration_is_carried_over_and_settles_on_its_shop() -> None:
    async with orders_database(revision=BEFORE) as (url, topic):
        await _insert_an_order_under_the_old_schema(url)

        await asyncio.to_thread(migrate, url)

        async with orders_app(url, topic) as orders:
            async with orders.engine.connect() as conn:
                key = (await conn.execute(PRIMARY_KEY)).scalars().all()
                (row,) = (await conn.execute(ORDER_ROWS)).all()
            assert key == ["shop_id", "order_id"]
            assert (row.shop_id, row.order_id, row.status) == ("shop-old", "o-old", "placed")
            assert row.events == _stream_of_a_placed_order()
            assert row.terms["platform_fee_bps"] == 900

            before = await orders.client.get("/v1/orders/o-old", headers=ADMIN)
            as_merchant = await orders.client.get(
                "/v1/orders/o-old", headers=await orders.issued_token("merchant", "shop-old")
            )
            repeat = await orders.post_webhook(
                "shop-old", SECRET, placed_body("o-old"), webhook_id="msg-old"
            )
            delivered = await orders.post_webhook(
                "shop-old",
                SECRET,
                webhook_body("order.delivered", "2026-11-21T10:00:00Z", order_id="o-old"),
            )
            other_secret = await orders.create_shop("shop-new")
            elsewhere = await orders.post_webhook("shop-new", other_secret, placed_body("o-old"))
            both = await orders.client.get("/v1/orders/o-old", headers=ADMIN)

            assert before.status_code == 200, before.text
            assert as_merchant.json() == before.json()
            order = before.json()
            assert (order["shop_id"], order["status"], order["paid_total"]) == (
                "shop-old",
                "placed",
                4299,
            )
            assert order["terms"]["platform_fee_bps"] == 900
            # The delivery of the old webhook-id is still known: a repeat is answered, not redone.
            assert (repeat.status_code, repeat.json()) == (202, {"event_id": "evt-1"})
            assert delivered.status_code == elsewhere.status_code == 202
            records = await orders.published(expected=2)
            published = [
                orders_v1.parse_envelope(from_kafka(r.key, r.value, r.headers)) for r in records
            ]
            assert [(type(e).__name__, e.shop_id, e.order_id) for e in published] == [
                ("OrderDelivered", "shop-old", "o-old"),
                ("OrderPlaced", "shop-new", "o-old"),
            ]
            assert (both.status_code, both.json()["shops"]) == (409, ["shop-new", "shop-old"])
