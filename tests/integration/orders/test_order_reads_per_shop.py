"""``GET /v1/orders/{order_id}[?shop_id=]`` when several shops use one order id: the admin
chooses a shop (or gets a 409 listing them), a merchant reads its own shop's order, a creator
or an agency only orders whose placement names it; every other order is a plain 404."""

from __future__ import annotations

from typing import Any

from tests.support.orders import ADMIN, RunningOrders, placed_body, running_orders

SEVERAL_SHOPS = "https://settlement.example/problems/order-in-several-shops"
Seen = str | tuple[str, ...]
"""What a read answered: the order's shop id (200), ``"404"``, or the shops a 409 listed."""


async def _place_orders(orders: RunningOrders) -> None:
    """o-1 in s-1 (creator c-1, agency a-1) and s-2 (creator c-2, agency a-1); o-2 in s-2
    only (creator c-1); o-3 in s-1 and s-2 (creator c-1) and s-3 (creator c-9)."""
    secrets = {shop: await orders.create_shop(shop) for shop in ("s-1", "s-2", "s-3")}
    agency = {"agency_id": "a-1", "share_bps": 2000}
    placements = [
        ("s-1", placed_body("o-1", creator_id="c-1", agency=agency)),
        ("s-2", placed_body("o-1", creator_id="c-2", agency=agency)),
        ("s-2", placed_body("o-2", creator_id="c-1")),
        ("s-1", placed_body("o-3", creator_id="c-1")),
        ("s-2", placed_body("o-3", creator_id="c-1")),
        ("s-3", placed_body("o-3", creator_id="c-9")),
    ]
    for shop, body in placements:
        response = await orders.post_webhook(shop, secrets[shop], body)
        assert response.status_code == 202, response.text


def _without_the_id(body: dict[str, Any], order_id: str) -> dict[str, Any]:
    return {key: str(value).replace(order_id, "<id>") for key, value in body.items()}


class _Reader:
    """Reads orders with one set of headers; a 404 must be the very answer of a missing order."""

    def __init__(self, orders: RunningOrders, headers: dict[str, str]) -> None:
        self._orders = orders
        self._headers = headers

    async def seen(self, order_id: str, shop_id: str | None = None) -> Seen:
        params = {"shop_id": shop_id} if shop_id else {}
        response = await self._orders.client.get(
            f"/v1/orders/{order_id}", params=params, headers=self._headers
        )
        body = response.json()
        if response.status_code == 200:
            assert body["order_id"] == order_id
            return str(body["shop_id"])
        assert response.headers["content-type"] == "application/problem+json"
        if response.status_code == 409:
            assert body["type"] == SEVERAL_SHOPS
            return tuple(body["shops"])
        assert response.status_code == 404, response.text
        missing = await self._orders.client.get(
            "/v1/orders/o-missing", params=params, headers=self._headers
        )
        assert missing.status_code == 404
        assert _without_the_id(body, order_id) == _without_the_id(missing.json(), "o-missing")
        return "404"


async def test_the_admin_names_the_shop_or_is_told_which_shops_use_the_id() -> None:
    async with running_orders() as orders:
        await _place_orders(orders)
        admin = _Reader(orders, ADMIN)

        several = await orders.client.get("/v1/orders/o-1", headers=ADMIN)

        assert several.status_code == 409
        assert several.headers["content-type"] == "application/problem+json"
        assert several.json() == {
            "type": SEVERAL_SHOPS,
            "title": "Order in several shops",
            "status": 409,
            "detail": "order id o-1 is used by shops s-1, s-2; name one with shop_id",
            "instance": "/v1/orders/o-1",
            "shops": ["s-1", "s-2"],
        }
        assert await admin.seen("o-3") == ("s-1", "s-2", "s-3")
        assert await admin.seen("o-1", "s-1") == "s-1"
        assert await admin.seen("o-1", "s-2") == "s-2"
        assert await admin.seen("o-1", "s-3") == "404"
        assert await admin.seen("o-1", "nobody") == "404"
        assert await admin.seen("o-2") == "s-2"
        assert await admin.seen("o-404") == "404"
        chosen = await orders.client.get("/v1/orders/o-1?shop_id=s-2", headers=ADMIN)
        assert (chosen.json()["creator_id"], chosen.json()["agency"]["agency_id"]) == ("c-2", "a-1")
        refused = await orders.client.get("/v1/orders/o-1?shop_id=", headers=ADMIN)
        assert refused.status_code == 422


async def test_a_merchant_token_reads_its_own_shops_order_of_the_id_and_nothing_else() -> None:
    async with running_orders() as orders:
        await _place_orders(orders)
        s1 = _Reader(orders, await orders.issued_token("merchant", "s-1"))
        s2 = _Reader(orders, await orders.issued_token("merchant", "s-2"))
        stranger = _Reader(orders, await orders.issued_token("merchant", "s-9"))

        assert await s1.seen("o-1") == "s-1"
        assert await s1.seen("o-1", "s-1") == "s-1"
        assert await s1.seen("o-1", "s-2") == "404"
        assert await s1.seen("o-2") == "404"
        assert await s1.seen("o-3") == "s-1"
        assert await s2.seen("o-1") == "s-2"
        assert await s2.seen("o-2") == "s-2"
        assert await stranger.seen("o-1") == "404"


async def test_a_creator_token_considers_only_orders_whose_placement_names_it() -> None:
    async with running_orders() as orders:
        await _place_orders(orders)
        c1 = _Reader(orders, await orders.issued_token("creator", "c-1"))
        c2 = _Reader(orders, await orders.issued_token("creator", "c-2"))
        stranger = _Reader(orders, await orders.issued_token("creator", "c-404"))

        assert await c1.seen("o-1") == "s-1"
        assert await c1.seen("o-1", "s-2") == "404"
        assert await c1.seen("o-2") == "s-2"
        assert await c1.seen("o-3") == ("s-1", "s-2")
        assert await c1.seen("o-3", "s-2") == "s-2"
        assert await c1.seen("o-3", "s-3") == "404"
        assert await c2.seen("o-1") == "s-2"
        assert await c2.seen("o-2") == "404"
        assert await stranger.seen("o-1") == "404"


async def test_an_agency_token_considers_only_orders_whose_placement_names_it() -> None:
    async with running_orders() as orders:
        await _place_orders(orders)
        a1 = _Reader(orders, await orders.issued_token("agency", "a-1"))
        stranger = _Reader(orders, await orders.issued_token("agency", "a-404"))

        assert await a1.seen("o-1") == ("s-1", "s-2")
        assert await a1.seen("o-1", "s-2") == "s-2"
        assert await a1.seen("o-2") == "404"
        assert await a1.seen("o-3") == "404"
        assert await stranger.seen("o-1") == "404"
