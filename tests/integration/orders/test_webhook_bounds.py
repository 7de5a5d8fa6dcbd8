"""DOMAIN.md "Bounds at the edge" through the real signed endpoint: the extremes are 202 and are
published as valid ``orders.v1`` events; one past any bound is a 422 naming the field, and
records nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from shared.events import orders_v1
from shared.events.envelope import from_kafka
from shared.events.rfc3339 import format_utc
from tests.support.orders import RunningOrders, placed_body, running_orders, webhook_body

MAX_AMOUNT = 10**12
MAX_QUANTITY = 10**6
MAX_PAID_TOTAL = 10**13
FIVE_MINUTES = timedelta(minutes=5)
NOTHING = {"orders": 0, "webhook_deliveries": 0, "outbox": 0}


def line(sku: str = "A", quantity: int = 1, unit_price: int = 100, discount: int = 0) -> Any:
    return {"sku": sku, "quantity": quantity, "unit_price": unit_price, "discount": discount}


def extremes(received_at: datetime) -> list[bytes]:
    """One webhook at (or right inside) each bound, in an order every one of them can take."""
    return [
        placed_body("o-lines", lines=[line(f"S{n}") for n in range(500)]),
        placed_body("o-largest", lines=[line(quantity=10, unit_price=MAX_AMOUNT)], shipping_fee=0),
        placed_body(
            "o-each-field",
            lines=[line(quantity=MAX_QUANTITY, unit_price=MAX_QUANTITY, discount=MAX_AMOUNT)],
            shipping_fee=MAX_AMOUNT,
        ),
        placed_body("o-2000", "2000-01-01T00:00:00Z"),
        placed_body("o-ahead", format_utc(received_at + timedelta(minutes=4, seconds=59))),
        placed_body("o-at-bound", format_utc(received_at + FIVE_MINUTES)),
        webhook_body("order.refunded", order_id="o-largest", refund_id="r-1", amount=MAX_AMOUNT),
        webhook_body("order.delivered", format_utc(received_at + FIVE_MINUTES), order_id="o-2000"),
    ]


def one_past_each_bound(received_at: datetime) -> list[tuple[bytes, list[str]]]:
    """(webhook, where the 422 must locate the fault)."""
    placed, refunded = ["order.placed", "data"], ["order.refunded", "data"]
    too_much_off = line(quantity=2, unit_price=MAX_AMOUNT, discount=MAX_AMOUNT + 1)
    too_late = format_utc(received_at + FIVE_MINUTES + timedelta(microseconds=1))
    return [
        (placed_body("o-1", lines=[line(f"S{n}") for n in range(501)]), [*placed, "lines"]),
        (
            placed_body("o-1", lines=[line(unit_price=MAX_AMOUNT + 1)]),
            [*placed, "lines", "0", "unit_price"],
        ),
        (
            placed_body("o-1", lines=[line(), line(quantity=MAX_QUANTITY + 1)]),
            [*placed, "lines", "1", "quantity"],
        ),
        (placed_body("o-1", lines=[too_much_off]), [*placed, "lines", "0", "discount"]),
        (placed_body("o-1", shipping_fee=MAX_AMOUNT + 1), [*placed, "shipping_fee"]),
        (
            placed_body("o-1", lines=[line(quantity=10, unit_price=MAX_AMOUNT)], shipping_fee=1),
            [*placed, "paid_total"],
        ),
        (
            webhook_body("order.refunded", order_id="o-1", refund_id="r-1", amount=MAX_AMOUNT + 1),
            [*refunded, "amount"],
        ),
        (placed_body("o-1", "1999-12-31T23:59:59.999999Z"), ["order.placed", "occurred_at"]),
        (placed_body("o-1", too_late), ["order.placed", "occurred_at"]),
        (
            webhook_body("order.delivered", too_late, order_id="o-1"),
            ["order.delivered", "occurred_at"],
        ),
    ]


async def located_rejection(orders: RunningOrders, secret: str, body: bytes) -> list[list[str]]:
    """Post ``body``; assert a 422 validation problem and return where its errors point."""
    response: httpx.Response = await orders.post_webhook("shop-1", secret, body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "https://settlement.example/problems/validation-error"
    return [error["loc"] for error in problem["errors"]]


async def test_the_extremes_the_edge_accepts_are_202_and_publish_valid_orders_v1_events() -> None:
    received_at = datetime.now(UTC).replace(microsecond=0)
    async with running_orders(clock=lambda: received_at) as orders:
        secret = await orders.create_shop()
        await orders.add_plan("shop-1", type="shop", rate_bps=8000)
        bodies = extremes(received_at)

        answers = [await orders.post_webhook("shop-1", secret, body) for body in bodies]

        assert [a.status_code for a in answers] == [202] * len(bodies), [a.text for a in answers]
        records = await orders.published(expected=len(bodies))
        events = [orders_v1.parse_envelope(from_kafka(r.key, r.value, r.headers)) for r in records]
        placed = {e.order_id: e for e in events if isinstance(e, orders_v1.OrderPlaced)}
        assert len(placed["o-lines"].lines) == 500
        assert placed["o-largest"].paid_total == MAX_PAID_TOTAL
        assert placed["o-each-field"].paid_total == MAX_AMOUNT
        assert placed["o-2000"].occurred_at == datetime(2000, 1, 1, tzinfo=UTC)
        assert placed["o-at-bound"].occurred_at == received_at + FIVE_MINUTES
        (refund,) = [e for e in events if isinstance(e, orders_v1.OrderRefunded)]
        assert (refund.amount, refund.refunded_total) == (MAX_AMOUNT, MAX_AMOUNT)
        (delivery,) = [e for e in events if isinstance(e, orders_v1.OrderDelivered)]
        assert delivery.delivered_at == received_at + FIVE_MINUTES


async def test_one_past_each_bound_is_a_422_naming_the_field_and_records_nothing() -> None:
    received_at = datetime.now(UTC).replace(microsecond=0)
    async with running_orders(clock=lambda: received_at) as orders:
        secret = await orders.create_shop()
        cases = one_past_each_bound(received_at)

        located = [await located_rejection(orders, secret, body) for body, _ in cases]

        assert located == [[where] for _, where in cases]
        assert await orders.rows() == NOTHING
        assert await orders.published(expected=0, timeout_s=1) == []


async def test_inputs_once_answered_202_then_stuck_downstream_are_now_422_naming_the_field() -> (
    None
):
    unit_price = ["order.placed", "data", "lines", "0", "unit_price"]
    reproductions = [
        (placed_body("o-1", lines=[line(unit_price=10**30)]), unit_price),
        (placed_body("o-1", lines=[line(unit_price=2**63)]), unit_price),
        (placed_body("o-1", lines=[line(quantity=MAX_QUANTITY, unit_price=10**13)]), unit_price),
        (placed_body("o-1", "9999-12-31T00:00:00Z"), ["order.placed", "occurred_at"]),
        (placed_body("o-1", "0001-01-01T00:00:00Z"), ["order.placed", "occurred_at"]),
        (
            webhook_body("order.delivered", "9999-12-31T00:00:00Z", order_id="o-1"),
            ["order.delivered", "occurred_at"],
        ),
    ]
    async with running_orders() as orders:
        secret = await orders.create_shop()

        located = [await located_rejection(orders, secret, body) for body, _ in reproductions]

        assert located == [[where] for _, where in reproductions]
        assert await orders.rows() == NOTHING
        assert await orders.published(expected=0, timeout_s=1) == []
