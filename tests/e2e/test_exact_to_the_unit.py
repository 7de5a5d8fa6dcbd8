"""Issue 10's money reproductions through the whole system, reading only the public APIs.

UK shop, shop plan 8000 bps, a creator with an agency at 2000 bps. Order B is one line of 5 with
shipping 2 (paid 7: merchant 3, creator 3, agency 1). Largest-remainder refunds moved the agency
leg backwards (1 -> 0 between cumulative refunds of 3 and 4) and the ledger then published a
fixed-up copy of what it posted, so payouts paid the merchant one unit the ledger did not hold;
refunds of 3, 1, 3 were dead-lettered by payouts. Here every payout must equal the available
balance the ledger showed when the run started, and no dead letter may appear.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from settlement_cli.client import SettlementClient
from settlement_cli.demo.catch_up import payouts_caught_up
from tests.support.e2e import Shop, balance, eventually, wait_until_ready
from tests.support.infra import KAFKA_BOOTSTRAP, unique_name
from tests.support.kafka import partitions_of
from tests.support.service_stack import Stack, running_stack

pytestmark = pytest.mark.e2e


def small_order(order_id: str, creator: str, agency: str, unit_price: int, shipping: int) -> Any:
    return {
        "order_id": order_id,
        "currency": "GBP",
        "lines": [{"sku": "X", "quantity": 1, "unit_price": unit_price, "discount": 0}],
        "shipping_fee": shipping,
        "creator_id": creator,
        "agency": {"agency_id": agency, "share_bps": 2000},
    }


def caught_up(stack: Stack) -> bool:
    return payouts_caught_up(stack.pipeline, stack.endpoints.ledger)


def parties(shop: Shop, creator: str, agency: str) -> list[tuple[str, str]]:
    return [
        ("merchant", shop.shop_id),
        ("creator", creator),
        ("agency", agency),
        ("platform", "UK"),
    ]


def drive(stack: Stack) -> None:
    creator, agency, big, small, pieces = (
        unique_name(p) for p in ("creator", "mcn", "a", "b", "c")
    )
    now = datetime.now(UTC)
    placed_at = now - timedelta(days=21)
    with SettlementClient(stack.endpoints) as client:
        wait_until_ready(client)
        shop = Shop.open(client, "UK")
        client.add_plan(shop.shop_id, {"type": "shop", "rate_bps": 8000})

        def gbp(party: tuple[str, str]) -> dict[str, int]:
            return balance(client, party[0], party[1], "GBP")

        shop.send("order.placed", placed_at, small_order(big, creator, agency, 100_000, 0))
        shop.send("order.placed", placed_at, small_order(small, creator, agency, 5, 2))
        shop.send("order.placed", placed_at, small_order(pieces, creator, agency, 5, 2))
        refund = {"order_id": small, "refund_id": "r-1", "amount": 3}
        shop.send("order.refunded", placed_at + timedelta(hours=1), refund)
        for n, amount in enumerate((3, 1, 3)):
            piece = {"order_id": pieces, "refund_id": f"p-{n}", "amount": amount}
            shop.send("order.refunded", placed_at + timedelta(hours=2 + n), piece)
        for order in (big, small, pieces):
            shop.send("order.delivered", now - timedelta(days=20), {"order_id": order})
        for order in (big, small):
            eventually(f"{order}'s release", partial(_released, client, order), 90)

        # Refunded in three pieces to the full 7 before delivery: nothing left, never stuck.
        hold = eventually("the fully refunded hold", lambda: client.hold(pieces))
        assert hold["status"] == "closed", hold
        assert all(amount["amount"] == 0 for amount in hold["amounts"]), hold

        # After the release, B is refunded by 1 more: a clawback from available balances.
        shop.send(
            "order.refunded", now - timedelta(days=1), {**refund, "refund_id": "r-2", "amount": 1}
        )
        eventually("the clawback in the ledger", lambda: len(_entries(client, small)) == 4)
        eventually("the pieces in the ledger", lambda: len(_entries(client, pieces)) == 4)
        eventually("A's release in the ledger", lambda: len(_entries(client, big)) == 2)
        eventually("payouts to fold everything", lambda: caught_up(stack), 60)

        before = {party: gbp(party)["available"] for party in parties(shop, creator, agency)}
        run = client.run_payouts()
        paid = {(p["party_type"], p["party_id"]): p["amount"] for p in run["payouts"]}
        assert paid, run
        for party, amount in paid.items():
            assert amount == before[party], (party, amount, before)
        for party in paid:
            eventually(f"{party}'s payout in the ledger", partial(_nothing_available, gbp, party))
        assert all(gbp(party)["available"] >= 0 for party in parties(shop, creator, agency))
        trial = client.trial_balance()
        assert trial["balanced"] is True, trial
        eventually("payouts to fold the payouts", lambda: caught_up(stack), 60)
        reconciliation = client.reconciliation()
        assert reconciliation["agrees"] is True, reconciliation


def drive_one_id_in_two_shops(stack: Stack) -> None:
    """Shop A's signed delivery for B's order id neither blocks nor touches B's order: each shop's
    order of that id is placed, held, released and paid on its own shop."""
    order, creator = unique_name("B-1001"), unique_name("creator")
    now = datetime.now(UTC)
    with SettlementClient(stack.endpoints) as client:
        wait_until_ready(client)
        shop_a, shop_b = Shop.open(client, "UK"), Shop.open(client, "UK")
        for shop in (shop_a, shop_b):
            client.add_plan(shop.shop_id, {"type": "shop", "rate_bps": 1000})
        shop_a.send("order.delivered", now - timedelta(days=20), {"order_id": order})
        placed_at = now - timedelta(days=21)
        shop_b.send("order.placed", placed_at, small_order(order, creator, "mcn-b", 5000, 0))
        shop_a.send("order.placed", placed_at, small_order(order, creator, "mcn-a", 2000, 0))
        held = eventually("A's release", lambda: _released(client, order, shop_a.shop_id), 90)
        assert held
        b_hold = eventually("B's hold", lambda: client.hold(order, shop_b.shop_id))
        assert b_hold["status"] == "awaiting_delivery"  # A's delivery is not B's
        merchant_b = balance(client, "merchant", shop_b.shop_id, "GBP")
        assert merchant_b == {"pending": 4050, "available": 0, "paid_out": 0}
        released_a = {"pending": 0, "available": 1620, "paid_out": 0}
        eventually(  # the ledger folds settlement.released a moment after payouts decided it
            "A's release in the ledger",
            lambda: balance(client, "merchant", shop_a.shop_id, "GBP") == released_a,
        )
        b_entries = client.order_entries(order, shop_b.shop_id)
        assert b_entries and [e["kind"] for e in b_entries["entries"]] == ["order_placed"]


def _nothing_available(
    gbp: Callable[[tuple[str, str]], dict[str, int]], party: tuple[str, str]
) -> bool:
    return gbp(party)["available"] == 0


def _entries(client: SettlementClient, order_id: str) -> list[Any]:
    found = client.order_entries(order_id)
    return list(found["entries"]) if found else []


def _released(client: SettlementClient, order_id: str, shop_id: str | None = None) -> bool:
    hold = client.hold(order_id, shop_id)
    return bool(hold and hold.get("released_at"))


async def dead_letters(topics: list[str]) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=KAFKA_BOOTSTRAP)
    await consumer.start()
    try:
        count = 0
        for topic in topics:
            partitions = [TopicPartition(topic, p) for p in await partitions_of(topic)]
            count += sum((await consumer.end_offsets(partitions)).values())
        return count
    finally:
        await consumer.stop()


async def test_one_order_id_in_two_shops_settles_on_each_shop(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        try:
            await asyncio.to_thread(drive_one_id_in_two_shops, stack)
        except Exception as error:
            raise AssertionError(f"{error}\n{stack.log_tails()}") from error


async def test_payouts_pay_exactly_what_the_ledger_holds_and_nothing_is_dead_lettered(
    tmp_path: Path,
) -> None:
    async with running_stack(tmp_path) as stack:
        try:
            await asyncio.to_thread(drive, stack)
            topics = [
                f"{stack.cli_env[f'TOPIC_{name}']}.dlq" for name in ("ORDERS", "LEDGER", "PAYOUTS")
            ]
            assert await dead_letters(topics) == 0
        except Exception as error:
            raise AssertionError(f"{error}\n{stack.log_tails()}") from error
