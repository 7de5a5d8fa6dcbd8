"""``settlement orders show`` and ``SettlementClient.order`` name the order's shop when asked."""

from collections.abc import Iterator
from typing import ClassVar

import httpx
import pytest
from typer.testing import CliRunner

from settlement_cli import main
from settlement_cli.client import ApiError, SettlementClient
from settlement_cli.config import Endpoints

ENDPOINTS = Endpoints("http://orders", "http://ledger", "http://payouts", "admin-token-0123456")
SEVERAL = {
    "type": "https://settlement.example/problems/order-in-several-shops",
    "title": "Order in several shops",
    "status": 409,
    "detail": "order id o-1 is used by shops s-1, s-2; name one with shop_id",
    "shops": ["s-1", "s-2"],
}


def _orders_service(request: httpx.Request) -> httpx.Response:
    """Answers like the orders service for an id that shops s-1 and s-2 both use."""
    shop = request.url.params.get("shop_id")
    if request.url.path != "/v1/orders/o-1":
        return httpx.Response(404, json={"title": "Order not found"})
    if shop is None:
        return httpx.Response(409, json=SEVERAL)
    return httpx.Response(200, json={"order_id": "o-1", "shop_id": shop})


class _Client(SettlementClient):
    """The real client over an in-memory transport; records every request it sends."""

    sent: ClassVar[list[httpx.Request]] = []

    def __init__(self, endpoints: Endpoints, timeout_s: float = 15.0) -> None:
        super().__init__(endpoints, timeout_s)
        self._http.close()

        def handle(request: httpx.Request) -> httpx.Response:
            _Client.sent.append(request)
            return _orders_service(request)

        self._http = httpx.Client(transport=httpx.MockTransport(handle))


@pytest.fixture
def client() -> Iterator[_Client]:
    _Client.sent.clear()
    opened = _Client(ENDPOINTS)
    try:
        yield opened
    finally:
        opened.close()


def test_the_order_of_a_named_shop_is_asked_for_with_the_shop_id(client: _Client) -> None:
    assert client.order("o-1", "s-2") == {"order_id": "o-1", "shop_id": "s-2"}
    assert client.order("o-1", shop_id="s-1")["shop_id"] == "s-1"

    assert [dict(request.url.params) for request in client.sent] == [
        {"shop_id": "s-2"},
        {"shop_id": "s-1"},
    ]


def test_without_a_shop_no_shop_id_is_sent_and_several_shops_are_an_error(
    client: _Client,
) -> None:
    with pytest.raises(ApiError) as raised:
        client.order("o-1")

    assert raised.value.status == 409
    assert "s-1, s-2" in str(raised.value)
    assert str(client.sent[0].url) == "http://orders/v1/orders/o-1"


def test_orders_show_passes_shop_as_the_query_parameter(
    client: _Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(main, "SettlementClient", _Client)
    monkeypatch.setattr(main, "endpoints", lambda: ENDPOINTS)
    runner = CliRunner()

    with_shop = runner.invoke(main.app, ["orders", "show", "o-1", "--shop", "s-2"])
    without = runner.invoke(main.app, ["orders", "show", "o-1"])

    assert with_shop.exit_code == 0, with_shop.output
    assert '"shop_id": "s-2"' in with_shop.stdout
    assert without.exit_code == 1
    assert "s-1, s-2" in without.stderr
    assert [dict(request.url.params) for request in client.sent] == [{"shop_id": "s-2"}, {}]
