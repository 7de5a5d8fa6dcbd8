"""A stretch of settled business on a running stack, for reconciliation tests: what each service
should then agree on, and a way into the payouts database to make them disagree.

One UK shop (DOMAIN.md's worked example terms), four orders: `paid` released and paid out,
`clawed` released then fully refunded (a clawback), `waiting` placed only (pending), and
`cancelled` cancelled before delivery.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from settlement_cli.client import Json, SettlementClient
from settlement_cli.demo.catch_up import payouts_caught_up
from shared.db.engine import make_engine
from tests.support.e2e import (
    Shop,
    balance,
    eventually,
    wait_until_ready,
    worked_example_order,
    worked_example_plans,
)
from tests.support.infra import unique_name
from tests.support.service_stack import Stack

MERCHANT_NET = 3303  # of the worked example, paid total 4299


@dataclass(frozen=True)
class Settled:
    shop_id: str
    creator_id: str
    agency_id: str
    orders: dict[str, str]  # role -> order id
    merchant_payout_id: str


def settle(stack: Stack) -> Settled:
    """Drive the business through the webhooks and wait until every service has handled it."""
    creator, agency = unique_name("creator"), unique_name("mcn")
    orders = {role: unique_name(role) for role in ("paid", "clawed", "waiting", "cancelled")}
    now = datetime.now(UTC)
    with SettlementClient(stack.endpoints) as client:
        wait_until_ready(client)
        shop = Shop.open(client, "UK")
        worked_example_plans(shop, [creator])
        for role, order_id in orders.items():
            placed_at = now if role == "waiting" else now - timedelta(days=21)
            shop.send("order.placed", placed_at, worked_example_order(order_id, creator, agency))
        for role in ("paid", "clawed"):
            # Delivered 20 days ago: the UK window (14 days + 1) is over, release is due now.
            shop.send("order.delivered", now - timedelta(days=20), {"order_id": orders[role]})
        shop.send("order.cancelled", now - timedelta(days=20), {"order_id": orders["cancelled"]})

        def merchant() -> dict[str, int]:
            return balance(client, "merchant", shop.shop_id, "GBP")

        released = {"pending": MERCHANT_NET, "available": 2 * MERCHANT_NET, "paid_out": 0}
        eventually("both releases", lambda: merchant() == released, 90)
        refund = {"order_id": orders["clawed"], "refund_id": "r-1", "amount": 4299}
        shop.send("order.refunded", now - timedelta(minutes=1), refund)
        clawed = {"pending": MERCHANT_NET, "available": MERCHANT_NET, "paid_out": 0}
        eventually("the clawback", lambda: merchant() == clawed)
        caught_up(stack)
        run = eventually("a payout run that pays the merchant", lambda: _paying_run(client))
        (payout,) = run["payouts"]
        paid = {"pending": MERCHANT_NET, "available": 0, "paid_out": MERCHANT_NET}
        eventually("the payout in the ledger", lambda: merchant() == paid)
        caught_up(stack)
    return Settled(shop.shop_id, creator, agency, orders, payout["payout_id"])


def caught_up(stack: Stack) -> None:
    """Everything the ledger published has been folded by the payouts service."""
    eventually(
        "the payouts service to fold the ledger's events",
        lambda: payouts_caught_up(stack.pipeline, stack.endpoints.ledger),
    )


def _paying_run(client: SettlementClient) -> Json | None:
    run = client.run_payouts()
    return run if run["payouts"] else None


@asynccontextmanager
async def payouts_database(stack: Stack) -> AsyncIterator[AsyncEngine]:
    """The payouts service's own database, to write into it behind the service's back."""
    engine = make_engine(stack.database_urls["payouts"], pool_size=2)
    try:
        yield engine
    finally:
        await engine.dispose()


def ledger_figures(client: SettlementClient, party_type: str, party_id: str) -> dict[str, Any]:
    """The ledger's pending and available of a party in GBP, from its own API."""
    found = balance(client, party_type, party_id, "GBP")
    return {"pending": found["pending"], "available": found["available"]}
