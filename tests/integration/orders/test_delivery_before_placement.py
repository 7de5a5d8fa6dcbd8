"""A delivery dated before its placement is published as delivered at the placement instant,
whichever of the two webhooks arrives first."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.events import orders_v1
from shared.events.envelope import from_kafka
from tests.support.orders import ADMIN, T0, headers_of, placed_body, running_orders, webhook_body

EARLY = "2026-11-18T10:00:00Z"  # two days before the placement at T0


async def test_an_early_delivery_counts_at_the_placement_in_either_arrival_order() -> None:
    async with running_orders() as orders:
        secret = await orders.create_shop()
        delivered_first = await orders.post_webhook(
            "shop-1", secret, webhook_body("order.delivered", EARLY, order_id="o-held")
        )
        arrivals = [
            placed_body("o-held"),
            placed_body("o-placed"),
            webhook_body("order.delivered", EARLY, order_id="o-placed"),
        ]
        answers = [await orders.post_webhook("shop-1", secret, body) for body in arrivals]

        assert [a.status_code for a in (delivered_first, *answers)] == [202] * 4
        records = await orders.published(expected=4)
        events = [orders_v1.parse_envelope(from_kafka(r.key, r.value, r.headers)) for r in records]
        deliveries = {
            event.order_id: (event.delivered_at, headers_of(record)["ce_id"])
            for record, event in zip(records, events, strict=True)
            if isinstance(event, orders_v1.OrderDelivered)
        }
        placed_at = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # T0
        assert {order: at for order, (at, _) in deliveries.items()} == {
            "o-held": placed_at,
            "o-placed": placed_at,
        }
        assert deliveries["o-held"][1] == delivered_first.json()["event_id"]
        for order_id in ("o-held", "o-placed"):
            order = (await orders.client.get(f"/v1/orders/{order_id}", headers=ADMIN)).json()
            assert (order["status"], order["delivered_at"]) == ("delivered", T0)
