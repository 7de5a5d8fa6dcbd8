"""Plays a ``Scenario`` against the running services, step by step, every wait bounded.

1. every service answers ``/readyz``; 2. shops are created (their webhook secrets kept) and
their plans added; 3. each order's webhooks are sent, signed now, in business order; 4. the
ledger shows a release entry for every order whose window has closed (the payouts scheduler
released them) and the payouts service has folded every ledger event; 5. a payout run pays
every payee at or above its minimum (again, bounded, should one still be payable) and the
ledger posts the payouts; 6. refunds after release (and payout) are sent, the ledger posts
their clawbacks and the payouts service folds them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial

from settlement_cli.client import Json, SettlementClient
from settlement_cli.demo.catch_up import Pipeline, payouts_caught_up
from settlement_cli.demo.progress import Progress
from settlement_cli.demo.scenario import DemoOrder, Scenario
from settlement_cli.demo.waiting import DemoTimeoutError, wait_for_all
from shared.regions import region_terms

SERVICES = ("orders", "ledger", "payouts")
PAYEES = ("merchant", "creator", "agency")


@dataclass(frozen=True)
class Bounds:
    """Seconds each wait may take."""

    ready_s: float = 90
    releases_s: float = 120
    folding_s: float = 60
    payout_rounds: int = 5


@dataclass
class PlayResult:
    payout_runs: list[Json] = field(default_factory=list)
    seconds: float = 0.0


def play(
    client: SettlementClient,
    scenario: Scenario,
    pipeline: Pipeline,
    progress: Progress,
    bounds: Bounds = Bounds(),
) -> PlayResult:
    started = time.monotonic()
    result = PlayResult()
    progress.step("waiting for the services")
    wait_for_all("services ready", SERVICES, client.is_ready, progress, timeout_s=bounds.ready_s)

    progress.step(f"opening {len(scenario.shops)} shops and their commission plans")
    secrets = {}
    for shop in scenario.shops:
        secrets[shop.shop_id] = client.open_shop(shop.shop_id, shop.region)
        for plan in shop.plans:
            client.add_plan(shop.shop_id, plan)
        kinds = ", ".join(f"{p['type']} {p['rate_bps']} bps" for p in shop.plans)
        progress.note(f"{shop.shop_id} ({shop.region}, {shop.currency}): {kinds}")

    webhooks = [hook for order in scenario.orders for hook in order.events]
    progress.step(f"sending {len(webhooks)} signed webhooks for {len(scenario.orders)} orders")
    for number, hook in enumerate(webhooks, start=1):
        client.send_webhook(hook.shop_id, secrets[hook.shop_id], hook.webhook_id, hook.body())
        progress.count("webhooks accepted", number, len(webhooks))

    released = [o.order_id for o in scenario.orders if o.releases]
    progress.step("waiting for after-sales windows to close and funds to be released")
    wait_for_all(
        "orders released in the ledger",
        released,
        lambda order_id: _has_entry(client, order_id, "order_released"),
        progress,
        timeout_s=bounds.releases_s,
    )

    _wait_for_payouts(client, pipeline, progress, bounds)

    progress.step("running payouts")
    _pay_out(client, pipeline, scenario, progress, bounds, result)

    late = [o for o in scenario.orders if o.after_release]
    progress.step(f"refunding {len(late)} orders after their release and payout (clawbacks)")
    for order in late:
        for hook in order.after_release:
            client.send_webhook(hook.shop_id, secrets[hook.shop_id], hook.webhook_id, hook.body())
    wait_for_all(
        "clawbacks posted in the ledger",
        [o.order_id for o in late],
        lambda order_id: _has_entry(client, order_id, "order_clawback"),
        progress,
        timeout_s=bounds.folding_s,
    )
    _wait_for_payouts(client, pipeline, progress, bounds)
    result.seconds = time.monotonic() - started
    return result


def _wait_for_payouts(
    client: SettlementClient, pipeline: Pipeline, progress: Progress, bounds: Bounds
) -> None:
    wait_for_all(
        "ledger events folded by payouts",
        ["payouts"],
        lambda _: payouts_caught_up(pipeline, client.endpoints.ledger),
        progress,
        timeout_s=bounds.folding_s,
    )


def _has_entry(client: SettlementClient, order_id: str, kind: str) -> bool:
    entries = client.order_entries(order_id)
    return entries is not None and any(e["kind"] == kind for e in entries["entries"])


def _payable(client: SettlementClient, scenario: Scenario) -> list[str]:
    """Payees of the run whose available ledger balance reaches their region's minimum."""
    minimum = {shop.currency: region_terms(shop.region).min_payout for shop in scenario.shops}
    found = []
    for party in scenario.parties:
        if party.party_type not in PAYEES:
            continue
        for row in client.balances(party.party_type, party.party_id)["balances"]:
            if row["available"] >= minimum[row["currency"]]:
                found.append(f"{party.party_type}/{party.party_id}")
    return found


def _ledger_caught_up_for(client: SettlementClient, payouts: list[Json], _: str) -> bool:
    """True once the ledger's paid_out of every paid payee covers its payouts."""
    expected: dict[tuple[str, str, str], int] = {}
    for payout in payouts:
        if payout["status"] == "paid":
            key = (payout["party_type"], payout["party_id"], payout["currency"])
            expected[key] = expected.get(key, 0) + payout["amount"]
    for (party_type, party_id, currency), amount in expected.items():
        rows = client.balances(party_type, party_id)["balances"]
        paid = sum(r["paid_out"] for r in rows if r["currency"] == currency)
        if paid < amount:
            return False
    return True


def _pay_out(
    client: SettlementClient,
    pipeline: Pipeline,
    scenario: Scenario,
    progress: Progress,
    bounds: Bounds,
    result: PlayResult,
) -> None:
    made: list[Json] = []
    for _ in range(bounds.payout_rounds):
        run = client.run_payouts()
        result.payout_runs.append(run)
        ours = [p for p in run["payouts"] if _of_scenario(p, scenario)]
        made += ours
        progress.note(f"payout run {run['run_id']}: {len(ours)} payouts to this run's payees")
        wait_for_all(
            "payouts posted in the ledger",
            ["ledger"],
            partial(_ledger_caught_up_for, client, list(made)),
            progress,
            timeout_s=bounds.folding_s,
        )
        left = _payable(client, scenario)
        if not left:
            return
        progress.note(f"{len(left)} payees still payable; another run once payouts caught up")
        _wait_for_payouts(client, pipeline, progress, bounds)
    raise DemoTimeoutError(f"payees still payable after {bounds.payout_rounds} payout runs")


def _of_scenario(payout: Json, scenario: Scenario) -> bool:
    return any(
        p.party_type == payout["party_type"] and p.party_id == payout["party_id"]
        for p in scenario.parties
    )


def waiting_orders(scenario: Scenario) -> list[DemoOrder]:
    """Orders whose hold is still waiting at the end of the run."""
    return [o for o in scenario.orders if o.story in ("in_window", "in_transit")]
