"""Shops, secret rotation, plans, order reads and metrics over HTTP."""

from __future__ import annotations

from typing import Any

from tests.support.orders import ADMIN, placed_body, running_orders


async def test_creating_a_shop_twice_answers_the_same_shop_without_its_secret() -> None:
    async with running_orders() as orders:
        body = {"shop_id": "shop-1", "region": "VN"}
        first = await orders.client.post("/v1/shops", json=body, headers=ADMIN)
        again = await orders.client.post("/v1/shops", json=body, headers=ADMIN)
        elsewhere = await orders.client.post(
            "/v1/shops", json={**body, "region": "UK"}, headers=ADMIN
        )
        unknown_region = await orders.client.post(
            "/v1/shops", json={"shop_id": "shop-2", "region": "ZZ"}, headers=ADMIN
        )
        not_admin = await orders.client.post(
            "/v1/shops", json=body, headers=orders.read_token("merchant", "shop-1")
        )

        assert first.status_code == 201
        assert first.json()["currency"] == "VND"
        assert first.json()["webhook_secret"].startswith("whsec_")
        assert again.status_code == 200
        assert again.json() == {**first.json(), "webhook_secret": None}
        assert elsewhere.status_code == 409
        assert unknown_region.status_code == 422
        assert not_admin.status_code == 403


async def test_both_secrets_verify_after_a_rotation_until_the_old_one_is_retired() -> None:
    async with running_orders() as orders:
        old = await orders.create_shop()
        rotated = await orders.client.post("/v1/shops/shop-1/secrets:rotate", headers=ADMIN)
        new = rotated.json()["webhook_secret"]
        second_rotation = await orders.client.post("/v1/shops/shop-1/secrets:rotate", headers=ADMIN)
        with_old = await orders.post_webhook("shop-1", old, placed_body("o-1"))
        with_new = await orders.post_webhook("shop-1", new, placed_body("o-2"))
        retired = await orders.client.post("/v1/shops/shop-1/secrets:retire", headers=ADMIN)
        old_after = await orders.post_webhook("shop-1", old, placed_body("o-3"))
        new_after = await orders.post_webhook("shop-1", new, placed_body("o-4"))

        assert rotated.status_code == 200
        assert new != old
        assert rotated.json()["previous_secret_active"] is True
        assert second_rotation.status_code == 409
        assert (with_old.status_code, with_new.status_code) == (202, 202)
        assert retired.json()["previous_secret_active"] is False
        assert retired.json()["webhook_secret"] is None
        assert (old_after.status_code, new_after.status_code) == (401, 202)


async def test_plans_outside_the_domain_bounds_are_refused_and_valid_ones_listed() -> None:
    async with running_orders() as orders:
        await orders.create_shop()
        creators = [f"c-{n}" for n in range(31)]
        refused = [
            {"type": "shop", "rate_bps": 99},
            {"type": "shop", "rate_bps": 8001},
            {"type": "shop", "rate_bps": 500.0},
            {"type": "shop", "rate_bps": "500"},
            {"type": "open", "rate_bps": 500},
            {"type": "targeted", "rate_bps": 500, "skus": ["A"]},
            {"type": "targeted", "rate_bps": 500, "skus": ["A"], "creator_ids": creators},
            {"type": "bonus", "rate_bps": 500},
            {
                "type": "shop",
                "rate_bps": 500,
                "starts_at": "2026-12-01T00:00:00Z",
                "ends_at": "2026-11-01T00:00:00Z",
            },
        ]
        answers = [
            await orders.client.post("/v1/shops/shop-1/plans", json=plan, headers=ADMIN)
            for plan in refused
        ]
        kept = await orders.add_plan(
            "shop-1", type="targeted", rate_bps=8000, skus=["A"], creator_ids=creators[:30]
        )
        unknown_shop = await orders.client.post(
            "/v1/shops/nobody/plans", json={"type": "shop", "rate_bps": 500}, headers=ADMIN
        )
        listed = await orders.client.get(
            "/v1/shops/shop-1/plans", headers=orders.read_token("merchant", "shop-1")
        )

        assert [a.status_code for a in answers] == [422] * len(refused)
        assert unknown_shop.status_code == 404
        assert listed.status_code == 200
        assert listed.json() == [kept]
        assert len(kept["creator_ids"]) == 30


async def test_an_order_is_readable_by_the_admin_its_shop_and_its_parties_only() -> None:
    async with running_orders() as orders:
        secret = await orders.create_shop()
        await orders.add_plan("shop-1", type="shop", rate_bps=500)
        await orders.post_webhook("shop-1", secret, placed_body("o-1"))

        async def read(headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
            response = await orders.client.get("/v1/orders/o-1", headers=headers)
            return response.status_code, response.json()

        admin = await read(ADMIN)
        merchant = await read(orders.read_token("merchant", "shop-1"))
        other_shop = await read(orders.read_token("merchant", "shop-2"))
        creator = await read(orders.read_token("creator", "c-1"))
        other_creator = await read(orders.read_token("creator", "c-2"))
        agency = await read(orders.read_token("agency", "c-1"))
        anonymous = await read({})
        missing = await orders.client.get("/v1/orders/o-404", headers=ADMIN)
        control_character = await orders.client.get("/v1/orders/o%00", headers=ADMIN)

        assert admin[0] == merchant[0] == creator[0] == 200
        assert admin[1] == merchant[1]
        # The creator sees what its commission comes from, not the order's totals or terms.
        assert creator[1]["lines"] == admin[1]["lines"]
        assert creator[1]["status"] == "placed" and creator[1]["creator_id"] == "c-1"
        hidden = ("paid_total", "shipping_fee", "refunded_total", "terms")
        assert [creator[1][field] for field in hidden] == [None] * len(hidden)
        order = admin[1]
        assert order["status"] == "placed"
        assert order["paid_total"] == 4299
        assert [line["rate_bps"] for line in order["lines"]] == [500, 500]
        assert order["terms"]["platform_fee_bps"] == 900
        assert order["refunded_total"] == 0
        assert other_shop[0] == other_creator[0] == agency[0] == missing.status_code == 404
        assert anonymous[0] == 401
        assert control_character.status_code == 422


async def test_tokens_are_issued_here_and_webhooks_are_counted_in_metrics() -> None:
    async with running_orders() as orders:
        secret = await orders.create_shop()
        issued = await orders.client.post(
            "/v1/tokens", json={"party_type": "merchant", "party_id": "shop-1"}, headers=ADMIN
        )
        await orders.post_webhook("shop-1", secret, placed_body("o-1"))
        await orders.post_webhook("shop-1", "whsec_" + "A" * 43, placed_body("o-2"))

        metrics = (await orders.client.get("/metrics")).text

        assert issued.status_code == 201
        assert issued.json()["token"]
        assert 'webhooks_received_total{outcome="accepted",type="order.placed"} 1.0' in metrics
        assert 'webhooks_received_total{outcome="bad_signature",type="unknown"} 1.0' in metrics
        assert "outbox_unpublished_rows" in metrics
        assert "http_request_duration_seconds_bucket" in metrics
