"""Reads what the report shows from the services after the run."""

from __future__ import annotations

from datetime import datetime

from settlement_cli.client import SettlementClient
from settlement_cli.demo.play import PlayResult, waiting_orders
from settlement_cli.demo.report import (
    CurrencyTotal,
    PartyBalance,
    PayoutMade,
    SettlementReport,
    WaitingHold,
)
from settlement_cli.demo.scenario import Scenario


def gather_report(
    client: SettlementClient, scenario: Scenario, result: PlayResult
) -> SettlementReport:
    balances = [
        PartyBalance(
            party.party_type,
            party.party_id,
            row["currency"],
            row["pending"],
            row["available"],
            row["paid_out"],
        )
        for party in scenario.parties
        for row in client.balances(party.party_type, party.party_id)["balances"]
        if row["currency"] == party.currency
    ]
    holds = []
    for order in waiting_orders(scenario):
        hold = client.hold(order.order_id)
        if hold is None:
            continue
        release_at = datetime.fromisoformat(hold["release_at"]) if hold["release_at"] else None
        amount = sum(a["amount"] for a in hold["amounts"])
        holds.append(
            WaitingHold(order.order_id, hold["currency"], hold["status"], release_at, amount)
        )
    payees = {(p.party_type, p.party_id) for p in scenario.parties}
    payouts = [
        PayoutMade(p["party_type"], p["party_id"], p["currency"], p["amount"], p["status"])
        for run in result.payout_runs
        for p in run["payouts"]
        if (p["party_type"], p["party_id"]) in payees
    ]
    trial = client.trial_balance()
    totals = [CurrencyTotal(t["currency"], t["total"], t["postings"]) for t in trial["currencies"]]
    urls = client.endpoints.urls()
    return SettlementReport(
        run_id=scenario.run_id,
        seed=scenario.seed,
        orders=len(scenario.orders),
        webhooks=sum(len(o.events) + len(o.after_release) for o in scenario.orders),
        seconds=result.seconds,
        balances=balances,
        holds=holds,
        payouts=payouts,
        trial_balance=totals,
        urls={
            **{f"{name} API docs": f"{url}/docs" for name, url in urls.items()},
            **{f"{name} metrics": f"{url}/metrics" for name, url in urls.items()},
        },
    )
