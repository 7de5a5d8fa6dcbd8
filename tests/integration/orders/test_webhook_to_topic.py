"""Signed webhooks become orders.v1 events, exactly once and in business order."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

from shared.events import orders_v1
from shared.events.envelope import from_kafka
from tests.support.orders import (
    ADMIN,
    headers_of,
    orders_app,
    orders_database,
    placed_body,
    running_orders,
    signed_headers,
    webhook_body,
)


async def test_a_signed_placement_is_published_with_resolved_terms_and_cloudevents_headers() -> (
    None
):
    async with running_orders() as orders:
        secret = await orders.create_shop("shop-1", "UK")
        targeted = await orders.add_plan(
            "shop-1", type="targeted", rate_bps=2000, skus=["A"], creator_ids=["c-1"]
        )
        shop_wide = await orders.add_plan("shop-1", type="shop", rate_bps=500)

        response = await orders.post_webhook("shop-1", secret, placed_body("o-1"))

        assert response.status_code == 202, response.text
        event_id = response.json()["event_id"]
        (record,) = await orders.published(expected=1)
        headers = headers_of(record)
        assert record.key == b"o-1"
        assert headers["ce_id"] == event_id
        assert headers["ce_type"] == "order.placed"
        assert headers["ce_source"] == "/settlement/orders"
        assert headers["ce_specversion"] == "1.0"
        assert headers["content-type"] == "application/json"
        placed = orders_v1.parse_envelope(from_kafka(record.key, record.value, record.headers))
        assert isinstance(placed, orders_v1.OrderPlaced)
        assert (placed.shop_id, placed.region, placed.currency) == ("shop-1", "UK", "GBP")
        assert [(li.line_no, li.sku, li.rate_bps, li.plan_id) for li in placed.lines] == [
            (1, "A", 2000, targeted["plan_id"]),
            (2, "B", 500, shop_wide["plan_id"]),
        ]
        assert placed.terms.platform_fee_bps == 900
        assert placed.paid_total == 4299


async def test_fifty_concurrent_identical_deliveries_record_one_event() -> None:
    async with running_orders() as orders:
        secret = await orders.create_shop()
        body = placed_body("o-dup")
        headers = signed_headers(secret, body, webhook_id="msg_same")

        responses = await asyncio.gather(
            *(
                orders.client.post("/v1/shops/shop-1/webhooks", content=body, headers=headers)
                for _ in range(50)
            )
        )

        assert Counter(r.status_code for r in responses) == {202: 50}
        assert len({r.json()["event_id"] for r in responses}) == 1
        records = await orders.published(expected=1)
        assert len(records) == 1
        assert headers_of(records[0])["ce_id"] == responses[0].json()["event_id"]
        assert (await orders.rows())["webhook_deliveries"] == 1


async def test_a_repeated_webhook_id_gets_the_first_answer_and_another_body_is_refused() -> None:
    async with running_orders() as orders:
        secret = await orders.create_shop()
        first = await orders.post_webhook("shop-1", secret, placed_body("o-1"), webhook_id="m1")
        again = await orders.post_webhook("shop-1", secret, placed_body("o-1"), webhook_id="m1")
        changed = await orders.post_webhook(
            "shop-1", secret, placed_body("o-1", shipping_fee=0), webhook_id="m1"
        )

        assert first.status_code == again.status_code == 202
        assert again.json() == first.json()
        assert changed.status_code == 422
        assert changed.headers["content-type"] == "application/problem+json"
        assert len(await orders.published(expected=1)) == 1


async def test_a_delivery_that_arrives_before_its_placement_is_published_after_it() -> None:
    async with running_orders() as orders:
        secret = await orders.create_shop()
        delivered = await orders.post_webhook(
            "shop-1",
            secret,
            webhook_body("order.delivered", "2026-11-21T09:00:00Z", order_id="o-early"),
        )
        waiting = await orders.client.get("/v1/orders/o-early", headers=ADMIN)
        placed = await orders.post_webhook("shop-1", secret, placed_body("o-early"))

        assert delivered.status_code == placed.status_code == 202
        assert waiting.json()["status"] == "awaiting_placement"
        assert waiting.json()["held_facts"] == 1
        records = await orders.published(expected=2)
        assert [headers_of(r)["ce_type"] for r in records] == ["order.placed", "order.delivered"]
        assert [headers_of(r)["ce_id"] for r in records] == [
            placed.json()["event_id"],
            delivered.json()["event_id"],
        ]
        order = (await orders.client.get("/v1/orders/o-early", headers=ADMIN)).json()
        assert order["status"] == "delivered"
        assert order["delivered_at"] == "2026-11-21T09:00:00Z"
        assert order["held_facts"] == 0


async def test_concurrent_refunds_of_one_order_never_exceed_what_was_paid() -> None:
    async with running_orders() as orders:
        secret = await orders.create_shop()
        assert (await orders.post_webhook("shop-1", secret, placed_body("o-r"))).status_code == 202
        refunds = [
            webhook_body("order.refunded", order_id="o-r", refund_id=f"r-{n}", amount=1000)
            for n in range(8)
        ]

        responses = await asyncio.gather(
            *(orders.post_webhook("shop-1", secret, body) for body in refunds)
        )

        # paid_total is 4299: four refunds of 1000 fit, the fifth would exceed it.
        assert Counter(r.status_code for r in responses) == {202: 4, 409: 4}
        records = await orders.published(expected=5)
        totals = [
            json.loads(r.value or b"{}")["refunded_total"]
            for r in records
            if headers_of(r)["ce_type"] == "order.refunded"
        ]
        assert totals == [1000, 2000, 3000, 4000]
        order = (await orders.client.get("/v1/orders/o-r", headers=ADMIN)).json()
        assert order["refunded_total"] == 4000


async def test_an_impossible_transition_is_a_conflict_that_publishes_nothing() -> None:
    async with running_orders() as orders:
        secret = await orders.create_shop()
        await orders.post_webhook("shop-1", secret, placed_body("o-c"))
        cancelled = await orders.post_webhook(
            "shop-1", secret, webhook_body("order.cancelled", order_id="o-c")
        )
        delivered = await orders.post_webhook(
            "shop-1", secret, webhook_body("order.delivered", order_id="o-c")
        )

        assert cancelled.status_code == 202
        assert delivered.status_code == 409
        assert delivered.json()["type"].endswith("/transition-rejected")
        records = await orders.published(expected=2)
        assert [headers_of(r)["ce_type"] for r in records] == ["order.placed", "order.cancelled"]
        assert (await orders.rows())["webhook_deliveries"] == 2


async def test_an_early_refund_that_the_placement_makes_impossible_is_never_published() -> None:
    async with running_orders() as orders:
        secret = await orders.create_shop()
        too_much = webhook_body("order.refunded", order_id="o-x", refund_id="r-1", amount=5000)
        held = await orders.post_webhook("shop-1", secret, too_much)
        placed = await orders.post_webhook("shop-1", secret, placed_body("o-x"))

        assert (held.status_code, placed.status_code) == (202, 202)
        records = await orders.published(expected=1)
        assert [headers_of(r)["ce_type"] for r in records] == ["order.placed"]
        order = (await orders.client.get("/v1/orders/o-x", headers=ADMIN)).json()
        assert (order["status"], order["refunded_total"], order["held_facts"]) == ("placed", 0, 0)


async def test_a_held_fact_survives_a_restart_of_the_service() -> None:
    async with orders_database() as (url, topic):
        async with orders_app(url, topic) as before:
            secret = await before.create_shop()
            delivered = await before.post_webhook(
                "shop-1", secret, webhook_body("order.delivered", order_id="o-s")
            )
        async with orders_app(url, topic) as after:
            placed = await after.post_webhook("shop-1", secret, placed_body("o-s"))

            records = await after.published(expected=2)

        assert (delivered.status_code, placed.status_code) == (202, 202)
        assert [headers_of(r)["ce_id"] for r in records] == [
            placed.json()["event_id"],
            delivered.json()["event_id"],
        ]
