"""An order whose placement does not come: its held facts are parked after the configured time
(counted in the metrics), and its placement, whenever it comes, takes them back and publishes
them under the event ids they were answered with."""

from __future__ import annotations

from sqlalchemy import func, select

from services.orders.adapters.db.tables import orders, parked_orders
from shared.events import orders_v1
from shared.events.envelope import from_kafka
from tests.support.infra import wait_until
from tests.support.orders import (
    ADMIN,
    RunningOrders,
    headers_of,
    placed_body,
    running_orders,
    webhook_body,
)

EARLY = "2026-11-20T09:00:00Z"


async def _statuses(orders_app: RunningOrders) -> dict[str, str]:
    async with orders_app.engine.connect() as conn:
        rows = (await conn.execute(select(orders.c.order_id, orders.c.status))).all()
    return {row.order_id: row.status for row in rows}


async def _parked(orders_app: RunningOrders) -> int:
    async with orders_app.engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(parked_orders)) or 0


def _metric(text: str, name: str) -> float:
    values = [line.split()[-1] for line in text.splitlines() if line.startswith(f"{name} ")]
    assert len(values) == 1, f"{name} not exposed once"
    return float(values[0])


async def test_held_facts_are_parked_and_a_late_placement_takes_them_back() -> None:
    async with running_orders(park_after_s=0.5, park_sweep_s=0.2) as app:
        secret = await app.create_shop()
        held = [
            await app.post_webhook(
                "shop-1", secret, webhook_body("order.delivered", EARLY, order_id="o-late")
            ),
            await app.post_webhook(
                "shop-1",
                secret,
                webhook_body(
                    "order.refunded", EARLY, order_id="o-late", refund_id="r-1", amount=100
                ),
            ),
        ]
        assert [r.status_code for r in held] == [202, 202]
        placed_now = await app.post_webhook("shop-1", secret, placed_body("o-now"))
        assert placed_now.status_code == 202

        async def parked() -> bool:
            return (await _statuses(app)).get("o-late") == "parked"

        await wait_until(parked, timeout_s=20)
        assert await _parked(app) == 1
        assert (await _statuses(app))["o-now"] == "placed"  # placed orders are never parked

        async def counted() -> bool:
            text = (await app.client.get("/metrics")).text
            return _metric(text, "orders_parked_now") == 1

        await wait_until(counted, timeout_s=20)
        metrics = (await app.client.get("/metrics")).text
        assert _metric(metrics, "orders_parked_total") == 1
        read = await app.client.get("/v1/orders/o-late", headers=ADMIN)
        assert read.status_code == 200, read.text
        assert read.json()["status"] == "awaiting_placement"

        placement = await app.post_webhook("shop-1", secret, placed_body("o-late"))

        assert placement.status_code == 202, placement.text
        assert await _parked(app) == 0
        assert (await _statuses(app))["o-late"] == "delivered"
        records = await app.published(expected=4)
        late = [
            (orders_v1.parse_envelope(from_kafka(r.key, r.value, r.headers)), headers_of(r))
            for r in records
        ]
        late = [(event, h) for event, h in late if event.order_id == "o-late"]
        assert [type(event).__name__ for event, _ in late] == [
            "OrderPlaced",
            "OrderDelivered",
            "OrderRefunded",
        ]
        assert [h["ce_id"] for _, h in late[1:]] == [r.json()["event_id"] for r in held]
