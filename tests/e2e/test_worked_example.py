"""DOMAIN.md's worked example through the whole system: three real service processes, signed
webhooks in, balances, holds, payouts and the trial balance read back over the public APIs.

UK shop; targeted plan 2000 bps on SKU A for creator X, shop plan 500 bps; agency share 2000 bps;
lines A 2 x 1500 and B 1 x 1000 with discount 100; shipping 399. DOMAIN.md gives the split:
merchant 3303, creator 516, agency 129, platform 351 (of paid total 4299).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from settlement_cli.client import Json, SettlementClient
from tests.support.e2e import (
    Shop,
    balance,
    eventually,
    wait_until_ready,
    worked_example_order,
    worked_example_plans,
)
from tests.support.infra import unique_name
from tests.support.service_stack import Stack, running_stack

pytestmark = pytest.mark.e2e


def drive_worked_example(stack: Stack) -> None:
    creator, agency, order = (unique_name(p) for p in ("creator", "mcn", "order"))
    now = datetime.now(UTC)
    with SettlementClient(stack.endpoints) as client:
        wait_until_ready(client)
        shop = Shop.open(client, "UK")
        worked_example_plans(shop, [creator])

        def gbp(party_type: str, party_id: str) -> dict[str, int]:
            return balance(client, party_type, party_id, "GBP")

        shop.send(
            "order.placed", now - timedelta(days=21), worked_example_order(order, creator, agency)
        )
        pending = {"pending": 3303, "available": 0, "paid_out": 0}
        eventually("the merchant's pending leg", lambda: gbp("merchant", shop.shop_id) == pending)
        assert gbp("creator", creator) == {"pending": 516, "available": 0, "paid_out": 0}
        assert gbp("agency", agency) == {"pending": 129, "available": 0, "paid_out": 0}

        # A partial refund of 430 reverses every leg in proportion (monotone apportionment):
        # exact 330.38 / 51.61 / 12.90 / 35.10 -> 331 / 52 / 12 / 35, summing to 430.
        refund = {"order_id": order, "refund_id": "r-1", "amount": 430}
        shop.send("order.refunded", now - timedelta(days=20, hours=12), refund)
        after_refund = {"pending": 2972, "available": 0, "paid_out": 0}
        eventually("the refund", lambda: gbp("merchant", shop.shop_id) == after_refund)
        assert gbp("creator", creator)["pending"] == 464
        assert gbp("agency", agency)["pending"] == 117
        hold = eventually("the hold", lambda: client.hold(order))
        assert hold["status"] == "awaiting_delivery"

        # Delivered 20 days ago, reported only now: the UK window (14 days + 1) is already over,
        # so the release is due at the payouts scheduler's next tick.
        shop.send("order.delivered", now - timedelta(days=20), {"order_id": order})
        released = {"pending": 0, "available": 2972, "paid_out": 0}
        eventually("the release", lambda: gbp("merchant", shop.shop_id) == released, 90)
        assert gbp("creator", creator) == {"pending": 0, "available": 464, "paid_out": 0}
        assert gbp("agency", agency) == {"pending": 0, "available": 117, "paid_out": 0}
        hold = eventually("payouts to see the release", lambda: _released_hold(client, order))
        assert hold["status"] == "released"

        # The UK minimum payout is 1000: the merchant is paid all of it, the others wait.
        # Payouts learns of the ledger's release from ledger.v1 a moment after the ledger's
        # balances show it; a run before that pays nobody (as a daily run would), so run again.
        run = eventually("a payout run that pays", lambda: _paying_run(client))
        assert [(p["party_type"], p["party_id"], p["amount"]) for p in run["payouts"]] == [
            ("merchant", shop.shop_id, 2972)
        ]
        paid = {"pending": 0, "available": 0, "paid_out": 2972}
        eventually("the payout in the ledger", lambda: gbp("merchant", shop.shop_id) == paid)
        assert gbp("creator", creator) == {"pending": 0, "available": 464, "paid_out": 0}

        trial = client.trial_balance()
        assert trial["balanced"] is True, trial
        assert {row["currency"]: row["total"] for row in trial["currencies"]} == {"GBP": 0}


def _paying_run(client: SettlementClient) -> Json | None:
    run = client.run_payouts()
    return run if run["payouts"] else None


def _released_hold(client: SettlementClient, order_id: str) -> dict[str, object] | None:
    hold = client.hold(order_id)
    return hold if hold and hold.get("released_at") else None


async def test_the_worked_example_settles_through_the_whole_system(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        try:
            await asyncio.to_thread(drive_worked_example, stack)
        except Exception as error:
            raise AssertionError(f"{error}\n{stack.log_tails()}") from error
