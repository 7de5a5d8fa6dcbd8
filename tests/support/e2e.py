"""Driving the whole system like a shop and an operator do: signed webhooks in, public APIs out."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from settlement_cli.client import SettlementClient
from tests.support.infra import unique_name

T = TypeVar("T")
SERVICES = ("orders", "ledger", "payouts")


def eventually(what: str, probe: Callable[[], T | None], timeout_s: float = 60) -> T:
    """Poll `probe` until it returns something truthy (bounded); fail naming `what`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def wait_until_ready(client: SettlementClient) -> None:
    eventually("the services", lambda: all(client.is_ready(s) for s in SERVICES), 120)


def balance(
    client: SettlementClient, party_type: str, party_id: str, currency: str
) -> dict[str, int]:
    for row in client.balances(party_type, party_id)["balances"]:
        if row["currency"] == currency:
            return {k: row[k] for k in ("pending", "available", "paid_out")}
    return {"pending": 0, "available": 0, "paid_out": 0}


@dataclass(frozen=True)
class Shop:
    """A shop registered through the operator API, sending signed webhooks."""

    client: SettlementClient
    shop_id: str
    secret: str

    @classmethod
    def open(cls, client: SettlementClient, region: str) -> Shop:
        shop_id = unique_name("shop")
        return cls(client, shop_id, client.open_shop(shop_id, region))

    def send(self, kind: str, occurred_at: datetime, data: dict[str, Any]) -> None:
        body = {"type": kind, "occurred_at": occurred_at.isoformat(), "data": data}
        self.client.send_webhook(
            self.shop_id, self.secret, unique_name("msg"), json.dumps(body).encode()
        )


def worked_example_order(order_id: str, creator_id: str, agency_id: str) -> dict[str, Any]:
    """DOMAIN.md's worked example order (UK, GBP; paid total 4299)."""
    return {
        "order_id": order_id,
        "currency": "GBP",
        "lines": [
            {"sku": "A", "quantity": 2, "unit_price": 1500, "discount": 0},
            {"sku": "B", "quantity": 1, "unit_price": 1000, "discount": 100},
        ],
        "shipping_fee": 399,
        "creator_id": creator_id,
        "agency": {"agency_id": agency_id, "share_bps": 2000},
    }


def worked_example_plans(shop: Shop, creator_ids: list[str]) -> None:
    """Targeted 2000 bps on SKU A for the creators, and a 500 bps shop plan."""
    targeted = {"type": "targeted", "rate_bps": 2000, "skus": ["A"], "creator_ids": creator_ids}
    shop.client.add_plan(shop.shop_id, targeted)
    shop.client.add_plan(shop.shop_id, {"type": "shop", "rate_bps": 500})
