"""Every rejected webhook gets its status as problem+json and leaves no trace anywhere."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx

from tests.support.orders import (
    RunningOrders,
    placed_body,
    running_orders,
    signed_headers,
    webhook_body,
)

OTHER_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


async def _post(orders: RunningOrders, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    response = await orders.client.post("/v1/shops/shop-1/webhooks", content=body, headers=headers)
    assert response.headers["content-type"] == "application/problem+json", response.text
    return response.status_code, response.json()["type"]


async def test_bad_signatures_are_401_and_record_nothing() -> None:
    async with running_orders() as orders:
        secret = await orders.create_shop()
        body = placed_body("o-1")
        good = signed_headers(secret, body)
        now = datetime.now(UTC)
        malformed = [
            signed_headers(OTHER_SECRET, body),
            signed_headers(secret, body, at=now - timedelta(minutes=6)),
            signed_headers(secret, body, at=now + timedelta(minutes=6)),
            {**good, "webhook-signature": "garbage"},
            {**good, "webhook-signature": "v1,not-base64!!"},
            {**good, "webhook-signature": "v1,a,b"},
            {**good, "webhook-timestamp": "yesterday"},
            {**good, "webhook-timestamp": "1e400"},
            {**good, "webhook-id": "another-id"},
            {"content-type": "application/json"},
        ]

        answers = [await _post(orders, body, headers) for headers in malformed]
        tampered = await _post(orders, placed_body("o-1", shipping_fee=0), good)
        not_utf8 = await _post(orders, b"\xff\xfe", signed_headers(secret, b"x"))

        assert set(answers) | {tampered, not_utf8} == {
            (401, "https://settlement.example/problems/invalid-signature")
        }
        assert await orders.rows() == {"orders": 0, "webhook_deliveries": 0, "outbox": 0}
        assert await orders.published(expected=0, timeout_s=1) == []


async def test_invalid_payloads_are_422_and_record_nothing() -> None:
    async with running_orders() as orders:
        secret = await orders.create_shop()
        line = {"sku": "A", "quantity": 1, "unit_price": 1500, "discount": 0}
        bodies = [
            placed_body("o-1", lines=[{**line, "unit_price": 1500.0}]),
            placed_body("o-1", lines=[{**line, "unit_price": "1500"}]),
            placed_body("o-1", shipping_fee=3.99),
            placed_body("o-1", lines=[{**line, "quantity": True}]),
            placed_body("o-1", currency="USD"),
            placed_body("o-\u0000"),
            placed_body("o-1", lines=[]),
            placed_body("o-1", lines=[{**line, "discount": 1501}]),
            placed_body("o-1", occurred_at="2026-11-20T10:00:00"),
            webhook_body("order.refunded", order_id="o-1", refund_id="r-1", amount=0),
            webhook_body("order.refunded", order_id="o-1", refund_id="r-1", amount=10.5),
            webhook_body("order.shipped", order_id="o-1"),
            json.dumps({"type": "order.delivered", "occurred_at": "2026-11-20T10:00:00Z"}).encode(),
            b"{not json",
            b"[]",
        ]

        answers = [await _post(orders, body, signed_headers(secret, body)) for body in bodies]

        assert [status for status, _ in answers] == [422] * len(bodies)
        assert await orders.rows() == {"orders": 0, "webhook_deliveries": 0, "outbox": 0}
        assert await orders.published(expected=0, timeout_s=1) == []


async def test_an_unknown_shop_is_404_and_an_oversized_body_is_413() -> None:
    async with running_orders() as orders:
        secret = await orders.create_shop()
        body = placed_body("o-1")
        unknown = await orders.client.post(
            "/v1/shops/nobody/webhooks", content=body, headers=signed_headers(secret, body)
        )
        huge = placed_body("o-1", note="x" * (256 * 1024))
        declared = await _post(orders, huge, signed_headers(secret, huge))

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(huge), 16 * 1024):
                yield huge[start : start + 16 * 1024]

        streamed = await orders.client.post(
            "/v1/shops/shop-1/webhooks", content=chunks(), headers=signed_headers(secret, huge)
        )

        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/problem+json"
        assert declared[0] == 413
        assert "content-length" not in streamed.request.headers
        assert streamed.status_code == 413
        assert await orders.rows() == {"orders": 0, "webhook_deliveries": 0, "outbox": 0}
        assert await orders.published(expected=0, timeout_s=1) == []


async def test_a_flooding_shop_gets_429_with_retry_after_and_nothing_is_recorded() -> None:
    async with running_orders(webhook_rate_per_s=0.5, webhook_burst=2) as orders:
        secret = await orders.create_shop()
        bodies = [placed_body(f"o-{n}") for n in range(3)]

        answers = [await orders.post_webhook("shop-1", secret, body) for body in bodies]

        assert [a.status_code for a in answers] == [202, 202, 429]
        assert answers[2].headers["retry-after"] == "2"
        assert answers[2].headers["content-type"] == "application/problem+json"
        assert await orders.rows() == {"orders": 2, "webhook_deliveries": 2, "outbox": 2}
        other = await orders.create_shop("shop-2")
        elsewhere = await orders.post_webhook("shop-2", other, placed_body("o-9"))
        assert elsewhere.status_code == 202


async def test_failed_verifications_are_limited_per_client_and_never_drain_a_real_shop() -> None:
    async with running_orders(
        webhook_rate_per_s=0.5,
        webhook_burst=2,
        failed_verifications_per_s=0.5,
        failed_verifications_burst=3,
    ) as orders:
        secret = await orders.create_shop()
        flooder = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=orders.app, client=("203.0.113.9", 4000)),
            base_url="http://orders",
        )
        async with flooder:
            forged = [
                await flooder.post(
                    f"/v1/shops/{shop}/webhooks",
                    content=placed_body(f"o-{n}"),
                    headers=signed_headers("whsec_" + "A" * 43, placed_body(f"o-{n}")),
                )
                for n, shop in enumerate(["shop-1", "shop-1", "made-up-1", "made-up-2"])
            ]
            signed_but_blocked = await flooder.post(
                "/v1/shops/shop-1/webhooks",
                content=placed_body("o-5"),
                headers=signed_headers(secret, placed_body("o-5")),
            )
        real = [await orders.post_webhook("shop-1", secret, placed_body(f"r-{n}")) for n in (1, 2)]

        assert [a.status_code for a in forged] == [401, 401, 404, 429]
        assert forged[3].headers["retry-after"] == "2"
        assert forged[3].headers["content-type"] == "application/problem+json"
        assert signed_but_blocked.status_code == 429  # blocked before any work is done
        assert [a.status_code for a in real] == [202, 202]  # the shop's own rate is untouched
        assert await orders.rows() == {"orders": 2, "webhook_deliveries": 2, "outbox": 2}
