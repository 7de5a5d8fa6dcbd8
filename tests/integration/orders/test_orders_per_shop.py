"""An order is (shop_id, order_id): two shops may use the same order id, each order settles on
its own shop, and one shop's webhooks never touch, block or reveal another shop's order."""

from __future__ import annotations

from typing import Any

from shared.events import orders_v1
from shared.events.envelope import from_kafka
from shared.kafka.consumer import ConsumedRecord
from tests.support.orders import (
    ADMIN,
    RunningOrders,
    headers_of,
    placed_body,
    running_orders,
    webhook_body,
)

LATER = "2026-11-21T10:00:00Z"  # a day after the placements at T0


def _events(records: list[ConsumedRecord]) -> list[tuple[bytes | None, str, str, str]]:
    """(record key, ce_type, shop_id, ce_id) of each published record, in topic order."""
    found = []
    for record in records:
        event = orders_v1.parse_envelope(from_kafka(record.key, record.value, record.headers))
        headers = headers_of(record)
        found.append((record.key, headers["ce_type"], event.shop_id, headers["ce_id"]))
    return found


async def _order(orders: RunningOrders, shop_id: str, order_id: str) -> dict[str, Any]:
    response = await orders.client.get(
        f"/v1/orders/{order_id}", params={"shop_id": shop_id}, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_two_shops_placing_the_same_order_id_each_get_their_own_order_and_events() -> None:
    async with running_orders() as orders:
        secret_a = await orders.create_shop("shop-a")
        secret_b = await orders.create_shop("shop-b")
        await orders.add_plan("shop-a", type="shop", rate_bps=500)
        await orders.add_plan("shop-b", type="shop", rate_bps=1000)

        placed_a = await orders.post_webhook("shop-a", secret_a, placed_body("o-1"))
        placed_b = await orders.post_webhook(
            "shop-b", secret_b, placed_body("o-1", creator_id="c-2", shipping_fee=0)
        )
        delivered_a = await orders.post_webhook(
            "shop-a", secret_a, webhook_body("order.delivered", LATER, order_id="o-1")
        )
        refunded_b = await orders.post_webhook(
            "shop-b",
            secret_b,
            webhook_body("order.refunded", LATER, order_id="o-1", refund_id="r-1", amount=1000),
        )

        answers = [placed_a, placed_b, delivered_a, refunded_b]
        assert [a.status_code for a in answers] == [202] * 4, [a.text for a in answers]
        records = await orders.published(expected=4)
        assert _events(records) == [
            (b"o-1", "order.placed", "shop-a", placed_a.json()["event_id"]),
            (b"o-1", "order.placed", "shop-b", placed_b.json()["event_id"]),
            (b"o-1", "order.delivered", "shop-a", delivered_a.json()["event_id"]),
            (b"o-1", "order.refunded", "shop-b", refunded_b.json()["event_id"]),
        ]
        placements = [
            orders_v1.parse_envelope(from_kafka(r.key, r.value, r.headers)) for r in records[:2]
        ]
        assert [
            (p.creator_id, p.paid_total, [line.rate_bps for line in p.lines])
            for p in placements
            if isinstance(p, orders_v1.OrderPlaced)
        ] == [("c-1", 4299, [500, 500]), ("c-2", 3900, [1000, 1000])]
        order_a = await _order(orders, "shop-a", "o-1")
        order_b = await _order(orders, "shop-b", "o-1")
        assert (order_a["shop_id"], order_a["status"], order_a["paid_total"]) == (
            "shop-a",
            "delivered",
            4299,
        )
        assert order_a["refunded_total"] == 0
        assert (order_b["shop_id"], order_b["status"], order_b["paid_total"]) == (
            "shop-b",
            "placed",
            3900,
        )
        assert order_b["refunded_total"] == 1000
        assert (await orders.rows())["orders"] == 2


async def test_a_shops_delivery_for_an_id_only_another_shop_placed_leaves_that_order_alone() -> (
    None
):
    async with running_orders() as orders:
        secret_a = await orders.create_shop("shop-a")
        secret_b = await orders.create_shop("shop-b")
        placed_b = await orders.post_webhook("shop-b", secret_b, placed_body("B-1001"))

        stray = await orders.post_webhook(
            "shop-a", secret_a, webhook_body("order.delivered", LATER, order_id="B-1001")
        )
        never_used = await orders.post_webhook(
            "shop-a", secret_a, webhook_body("order.delivered", LATER, order_id="Z-1")
        )
        delivered_b = await orders.post_webhook(
            "shop-b", secret_b, webhook_body("order.delivered", LATER, order_id="B-1001")
        )
        refunded_b = await orders.post_webhook(
            "shop-b",
            secret_b,
            webhook_body("order.refunded", LATER, order_id="B-1001", refund_id="r-1", amount=99),
        )

        # Shop A is answered exactly as for an id nobody uses: nothing tells it B-1001 exists.
        assert (stray.status_code, never_used.status_code) == (202, 202)
        assert stray.json().keys() == never_used.json().keys() == {"event_id"}
        assert [a.status_code for a in (placed_b, delivered_b, refunded_b)] == [202] * 3
        records = await orders.published(expected=3)
        assert [(key, kind, shop) for key, kind, shop, _ in _events(records)] == [
            (b"B-1001", "order.placed", "shop-b"),
            (b"B-1001", "order.delivered", "shop-b"),
            (b"B-1001", "order.refunded", "shop-b"),
        ]
        order_b = await _order(orders, "shop-b", "B-1001")
        assert (order_b["status"], order_b["refunded_total"], order_b["held_facts"]) == (
            "delivered",
            99,
            0,
        )
        held_for_a = await _order(orders, "shop-a", "B-1001")
        assert (held_for_a["status"], held_for_a["held_facts"]) == ("awaiting_placement", 1)


async def test_a_delivery_sent_before_another_shops_placement_is_held_for_its_own_shop() -> None:
    async with running_orders() as orders:
        secret_a = await orders.create_shop("shop-a")
        secret_b = await orders.create_shop("shop-b")
        stray = await orders.post_webhook(
            "shop-a", secret_a, webhook_body("order.delivered", LATER, order_id="B-1001")
        )

        placed_b = await orders.post_webhook("shop-b", secret_b, placed_body("B-1001"))
        order_b = await _order(orders, "shop-b", "B-1001")
        delivered_b = await orders.post_webhook(
            "shop-b", secret_b, webhook_body("order.delivered", LATER, order_id="B-1001")
        )
        placed_a = await orders.post_webhook("shop-a", secret_a, placed_body("B-1001"))

        assert [a.status_code for a in (stray, placed_b, delivered_b, placed_a)] == [202] * 4
        # A's delivery is not B's: B's order is placed, not delivered, until B says so.
        assert (order_b["status"], order_b["delivered_at"], order_b["held_facts"]) == (
            "placed",
            None,
            0,
        )
        records = await orders.published(expected=4)
        assert _events(records) == [
            (b"B-1001", "order.placed", "shop-b", placed_b.json()["event_id"]),
            (b"B-1001", "order.delivered", "shop-b", delivered_b.json()["event_id"]),
            (b"B-1001", "order.placed", "shop-a", placed_a.json()["event_id"]),
            (b"B-1001", "order.delivered", "shop-a", stray.json()["event_id"]),
        ]
        for shop in ("shop-a", "shop-b"):
            order = await _order(orders, shop, "B-1001")
            assert (order["status"], order["delivered_at"], order["held_facts"]) == (
                "delivered",
                LATER,
                0,
            )
