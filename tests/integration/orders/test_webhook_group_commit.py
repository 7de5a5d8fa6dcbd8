"""Webhook group commit on real PostgreSQL: concurrent webhooks share one transaction, each is
answered as if it had come alone, and a group whose commit fails leaves nothing."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.orders.adapters.db.parking import park_stale_orders
from services.orders.adapters.db.tables import outbox
from services.orders.adapters.db.unit_of_work import OrdersUnitOfWork
from services.orders.api.webhook_schemas import to_fact, webhook_adapter
from services.orders.domain.facts import Placed
from services.orders.domain.plans import Plan
from services.orders.domain.shop import Shop
from services.orders.service.handlers import handle_webhooks
from services.orders.service.messages import ReceivedWebhook, WebhookAnswer
from services.orders.service.webhook_group import WebhookOutcome
from tests.support.orders import (
    RunningOrders,
    placed_body,
    running_orders,
    signed_headers,
    webhook_body,
)

RECEIVED_AT = datetime(2026, 11, 20, 10, 1, tzinfo=UTC)
LATER = "2026-11-20T10:00:30Z"


def received(shop: Shop, webhook_id: str, body: bytes, plans: tuple[Plan, ...]) -> ReceivedWebhook:
    fact = to_fact(webhook_adapter.validate_json(body))
    return ReceivedWebhook(
        shop=shop,
        webhook_id=webhook_id,
        body_sha256=hashlib.sha256(body).digest(),
        fact=fact,
        received_at=RECEIVED_AT,
        plans=plans if isinstance(fact, Placed) else (),
    )


def counter() -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"evt-{next(numbers)}"


async def contents(engine: AsyncEngine) -> dict[str, list[Any]]:
    """Every order, delivery and outbox row, in a stable order (outbox: queue order)."""
    queries = {
        "orders": "SELECT shop_id, order_id, status, events::text, terms::text FROM orders"
        " ORDER BY shop_id, order_id",
        "deliveries": "SELECT shop_id, webhook_id, body_sha256, event_id, order_id"
        " FROM webhook_deliveries ORDER BY shop_id, webhook_id",
        "parked": "SELECT shop_id, order_id FROM parked_orders ORDER BY 1, 2",
        "outbox": "SELECT topic, key, value, headers::text FROM outbox ORDER BY id",
    }
    async with engine.connect() as conn:
        return {
            name: [tuple(row) for row in await conn.execute(text(sql))]
            for name, sql in queries.items()
        }


async def prepared(orders: RunningOrders) -> tuple[Shop, tuple[Plan, ...]]:
    """Shop ``shop-1`` (UK) with a shop-wide plan, and order ``o-7`` parked with a held
    delivery, as both runs start."""
    secret = await orders.create_shop("shop-1", "UK")
    plan = await orders.add_plan("shop-1", type="shop", rate_bps=500)
    shop = Shop("shop-1", "UK", "GBP", secret, None)
    plans = (Plan(plan["plan_id"], "shop-1", "shop", 500),)
    held = received(shop, "w-held", webhook_body("order.delivered", LATER, order_id="o-7"), ())
    uow = OrdersUnitOfWork(orders.engine, outbox=outbox)
    assert await handle_webhooks([held], uow, topic=orders.topic, new_event_id=lambda: "evt-h")
    async with orders.engine.begin() as conn:
        assert await park_stale_orders(conn, waited_s=0, limit=10) == 1
    return shop, plans


def the_batch(shop: Shop, plans: tuple[Plan, ...]) -> list[ReceivedWebhook]:
    def webhook(webhook_id: str, body: bytes) -> ReceivedWebhook:
        return received(shop, webhook_id, body, plans)

    refund = webhook_body("order.refunded", LATER, order_id="o-3", refund_id="r-1", amount=100)
    return [
        webhook("w-1", placed_body("o-1")),
        webhook("w-2", webhook_body("order.delivered", LATER, order_id="o-1")),
        webhook("w-1", placed_body("o-1")),  # a repeat: the same answer
        webhook("w-1", placed_body("o-5")),  # the same id, another body
        webhook("w-3", webhook_body("order.delivered", LATER, order_id="o-3")),  # held
        webhook("w-4", refund),  # held
        webhook("w-5", placed_body("o-3")),  # takes both held facts
        webhook("w-6", placed_body("o-2", currency="USD")),  # not the shop's currency
        webhook(
            "w-7",
            webhook_body("order.refunded", LATER, order_id="o-1", refund_id="r-9", amount=10**6),
        ),  # above paid_total
        webhook("w-8", webhook_body("order.cancelled", LATER, order_id="o-1")),  # delivered
        webhook("w-9", placed_body("o-4")),
        webhook("w-10", placed_body("o-4")),  # placed twice
        webhook("w-11", placed_body("o-7")),  # a parked order: its held delivery comes back
        webhook("w-12", webhook_body("order.cancelled", LATER, order_id="o-7")),  # delivered
    ]


def described(outcomes: list[WebhookOutcome]) -> list[str]:
    return [
        f"{o.outcome} {o.event_id}" if isinstance(o, WebhookAnswer) else type(o).__name__
        for o in outcomes
    ]


async def test_a_group_records_exactly_what_its_webhooks_record_one_by_one() -> None:
    async with running_orders() as grouped, running_orders() as alone:
        shop, plans = await prepared(grouped)
        await prepared(alone)

        group_outcomes = await handle_webhooks(
            the_batch(shop, plans),
            OrdersUnitOfWork(grouped.engine, outbox=outbox),
            topic=grouped.topic,
            new_event_id=counter(),
        )
        one_by_one: list[WebhookOutcome] = []
        new_event_id = counter()
        for webhook in the_batch(shop, plans):
            one_by_one += await handle_webhooks(
                [webhook],
                OrdersUnitOfWork(alone.engine, outbox=outbox),
                topic=grouped.topic,  # the same topic name, so the outbox rows compare
                new_event_id=new_event_id,
            )

        assert described(group_outcomes) == described(one_by_one)
        assert described(group_outcomes) == [
            "accepted evt-1",
            "accepted evt-2",
            "duplicate evt-1",
            "WebhookIdReused",
            "held evt-3",
            "held evt-4",
            "accepted evt-5",
            "CurrencyMismatch",
            "TransitionRejected",
            "TransitionRejected",
            "accepted evt-6",
            "TransitionRejected",
            "accepted evt-7",
            "TransitionRejected",
        ]
        grouped_rows, alone_rows = await contents(grouped.engine), await contents(alone.engine)
        assert grouped_rows == alone_rows
        assert grouped_rows["parked"] == []
        o7 = next(row for row in grouped_rows["orders"] if row[1] == "o-7")
        assert o7[2] == "delivered"
        assert [e["event_id"] for e in json.loads(o7[3])] == ["evt-h", "evt-7", "evt-h"]
        published = [json.loads(h) for _, _, _, h in grouped_rows["outbox"]]
        assert [dict(h)["ce_id"] for h in published] == [
            "evt-1",  # o-1 placed
            "evt-2",  # o-1 delivered
            "evt-5",  # o-3 placed, then its held facts in business order
            "evt-3",
            "evt-4",
            "evt-6",  # o-4 placed
            "evt-7",  # o-7 placed, then its parked delivery
            "evt-h",
        ]


async def test_concurrent_webhooks_share_a_group_and_each_gets_its_own_answer() -> None:
    async with running_orders(webhook_group_wait_ms=300, webhook_group_size=100) as orders:
        secret = await orders.create_shop()
        delivery = webhook_body("order.delivered", LATER, order_id="o-0")
        delivery_headers = signed_headers(secret, delivery, webhook_id="w-delivery")
        mismatch = placed_body("o-x", currency="USD")

        async def post(body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
            response = await orders.client.post(
                "/v1/shops/shop-1/webhooks", content=body, headers=headers
            )
            return response.status_code, response.json()

        placements = [placed_body(f"o-{n}") for n in range(20)]
        answers = await asyncio.gather(
            *(post(body, signed_headers(secret, body)) for body in placements),
            *(post(delivery, delivery_headers) for _ in range(5)),
            post(placed_body("o-1"), signed_headers(secret, placed_body("o-1"))),
            post(mismatch, signed_headers(secret, mismatch)),
            post(placed_body("o-y"), signed_headers("whsec_" + "A" * 43, placed_body("o-y"))),
        )

        statuses = [status for status, _ in answers]
        assert Counter(statuses) == {202: 25, 409: 1, 422: 1, 401: 1}
        # One of the two placements of o-1 won; the other is rejected.
        assert 409 in (statuses[1], statuses[25])
        assert answers[26][1]["type"].endswith("/currency-mismatch")
        delivery_ids = {answer["event_id"] for _, answer in answers[20:25]}
        assert len(delivery_ids) == 1
        assert orders.app.state.orders.intake.groups.groups_flushed <= 2
        assert await orders.rows() == {"orders": 20, "webhook_deliveries": 21, "outbox": 21}
        records = await orders.published(expected=21)
        o0 = [r for r in records if r.key == b"o-0"]
        assert [dict(r.headers)["ce_type"] for r in o0] == [b"order.placed", b"order.delivered"]
        assert dict(o0[1].headers)["ce_id"].decode() in delivery_ids


async def test_a_group_whose_commit_fails_answers_503_to_all_and_records_nothing() -> None:
    async with running_orders(webhook_group_wait_ms=300, webhook_group_size=100) as orders:
        secret = await orders.create_shop()
        async with orders.engine.begin() as conn:
            await conn.execute(
                text(
                    "CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$"
                    " BEGIN RAISE EXCEPTION 'refused at commit' USING ERRCODE = 'admin_shutdown';"
                    " END $$"
                )
            )
            await conn.execute(
                text(
                    "CREATE CONSTRAINT TRIGGER refuse_commit AFTER INSERT ON webhook_deliveries"
                    " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_commit()"
                )
            )
        bodies = [placed_body(f"o-{n}") for n in range(6)]
        signed = [signed_headers(secret, body) for body in bodies]

        async def post_all() -> list[Any]:
            return list(
                await asyncio.gather(
                    *(
                        orders.client.post(
                            "/v1/shops/shop-1/webhooks", content=body, headers=headers
                        )
                        for body, headers in zip(bodies, signed, strict=True)
                    )
                )
            )

        refused = await post_all()

        assert [r.status_code for r in refused] == [503] * 6
        assert {r.json()["type"] for r in refused} == {
            "https://settlement.example/problems/database-unavailable"
        }
        assert await orders.rows() == {"orders": 0, "webhook_deliveries": 0, "outbox": 0}
        async with orders.engine.begin() as conn:
            await conn.execute(text("DROP TRIGGER refuse_commit ON webhook_deliveries"))
        retried = await post_all()
        assert [r.status_code for r in retried] == [202] * 6  # new, not duplicates
        assert await orders.rows() == {"orders": 6, "webhook_deliveries": 6, "outbox": 6}
