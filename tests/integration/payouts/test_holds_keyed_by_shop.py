"""A hold is an order's, and an order is (shop_id, order_id): two shops' orders with one id are
held and released apart, and reading a hold by order id resolves the shop (DOMAIN.md "Orders
belong to their shop")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.events import ledger_v1
from tests.support.infra import wait_until
from tests.support.payouts import (
    ADMIN,
    order_delivered,
    order_posted,
    publish_ledger,
    running_payouts,
)


def for_shop(event: ledger_v1.LedgerEvent, shop_id: str) -> ledger_v1.LedgerEvent:
    """The same event for another shop's order of the same id (its merchant leg is that shop)."""
    changes: dict[str, object] = {"shop_id": shop_id}
    legs = getattr(event, "legs", None)
    if legs is not None:
        changes["legs"] = [
            leg.model_copy(update={"party_id": shop_id}) if leg.party_type == "merchant" else leg
            for leg in legs
        ]
    return event.model_copy(update=changes)


async def test_two_shops_orders_with_one_id_are_held_and_read_apart() -> None:
    long_ago = datetime.now(UTC) - timedelta(days=30)
    async with running_payouts() as service:
        a_posted = order_posted("B-1001", merchant=3303, creator=516)
        a_delivered = order_delivered("B-1001", long_ago)
        b_posted = for_shop(order_posted("B-1001", merchant=900, creator=100), "shop-2")
        await publish_ledger(service.ledger_topic, [a_posted, b_posted, a_delivered])

        async def both_held() -> bool:
            got = await service.client.get(
                "/v1/holds/B-1001", params={"shop_id": "shop-2"}, headers=ADMIN
            )
            return got.status_code == 200

        await wait_until(both_held, timeout_s=60, interval_s=0.1)

        async def shop_1_released() -> bool:
            got = await service.client.get(
                "/v1/holds/B-1001", params={"shop_id": "shop-1"}, headers=ADMIN
            )
            return got.status_code == 200 and got.json()["status"] == "released"

        await wait_until(shop_1_released, timeout_s=60, interval_s=0.1)
        ambiguous = await service.client.get("/v1/holds/B-1001", headers=ADMIN)
        shop_2 = await service.client.get(
            "/v1/holds/B-1001", params={"shop_id": "shop-2"}, headers=ADMIN
        )
        merchant_2 = await service.client.get(
            "/v1/holds/B-1001", headers=service.read_token("merchant", "shop-2")
        )
        merchant_3 = await service.client.get(
            "/v1/holds/B-1001", headers=service.read_token("merchant", "shop-3")
        )
    assert ambiguous.status_code == 409 and ambiguous.json()["shops"] == ["shop-1", "shop-2"]
    assert shop_2.json()["status"] == "awaiting_delivery"  # shop-1's delivery is not shop-2's
    assert {a["party_type"]: a["amount"] for a in shop_2.json()["amounts"]} == {
        "merchant": 900,
        "creator": 100,
    }
    assert merchant_2.status_code == 200 and merchant_2.json()["shop_id"] == "shop-2"
    assert merchant_3.status_code == 404
