"""I4, I6 and I7: releases, reconciliation and the bank's books, against the ledger."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

import httpx

from bench.chaos.check import Check
from bench.chaos.ledger_checks import fully_reversed, published_releases
from bench.chaos.pipeline import fetch
from bench.chaos.stack import ADMIN, Stack


async def releases_once_when_due(stack: Stack) -> Check:
    holds = await fetch(
        stack.infra,
        "payouts",
        "SELECT shop_id, order_id, release_at, released_at FROM holds "
        "WHERE released_at IS NOT NULL",
    )
    due = {(h["shop_id"], h["order_id"]): h["release_at"] for h in holds}
    early_holds = sum(1 for h in holds if h["released_at"] < h["release_at"])
    ledger = await fetch(
        stack.infra,
        "ledger",
        "SELECT event_id, shop_id, order_id, occurred_at FROM journal_entries "
        "WHERE kind = 'order_released'",
    )
    per_order = Counter((r["shop_id"], r["order_id"]) for r in ledger)
    early_entries = sum(
        1
        for r in ledger
        if (r["shop_id"], r["order_id"]) in due
        and r["occurred_at"] < due[(r["shop_id"], r["order_id"])]
    )
    published = await published_releases(stack)
    entry_ids = {r["event_id"] for r in ledger}
    nothing_left = await fully_reversed(
        stack, [e for e in published if e.event_id not in entry_ids]
    )
    counts = {
        "released_holds": len(holds),
        "ledger_releases": len(ledger),
        "released_events": len({e.event_id for e in published}),
        "orders_released_twice": sum(1 for n in per_order.values() if n > 1),
        "released_before_due": early_holds + early_entries,
        "ledger_releases_without_hold": len(per_order.keys() - due.keys()),
        "releases_of_fully_reversed_orders": len(nothing_left),
    }
    ok = (
        counts["orders_released_twice"] == 0
        and counts["released_before_due"] == 0
        and counts["ledger_releases_without_hold"] == 0
        and counts["released_events"] == len(holds) == len(ledger) + len(nothing_left)
    )
    return Check(ok, counts)


async def _admin_get(url: str) -> httpx.Response:
    async with httpx.AsyncClient(headers=ADMIN, timeout=60) as client:
        return await client.get(url)


async def reconciliation_empty(stack: Stack) -> Check:
    response = await _admin_get(f"{stack.url('payouts')}/v1/reconciliation")
    if response.status_code != 200:
        return Check(None, note=f"reconciliation answered {response.status_code}")
    body = response.json()
    counts = {
        "balances_differing": len(body.get("balances") or []),
        "payouts_differing": len(body.get("payouts") or []),
        "payouts_checked": body.get("payouts_checked", True),
    }
    note = json.dumps((body.get("balances") or [])[:2] + (body.get("payouts") or [])[:2])[:400]
    ok = counts["balances_differing"] == 0 and counts["payouts_differing"] == 0
    return Check(ok, counts, "" if ok else note)


async def bank_transfers(stack: Stack) -> tuple[list[dict[str, Any]], str]:
    """The simulated bank's books: its admin endpoint (paged), or its table if it has none."""
    transfers: list[dict[str, Any]] = []
    after: str | None = None
    for _ in range(100):
        query = "" if after is None else f"?after={after}"
        response = await _admin_get(f"{stack.url('payouts')}/v1/simulated-bank/transfers{query}")
        if response.status_code != 200:
            break
        body = response.json()
        transfers += body["transfers"]
        after = body.get("next_after")
        if after is None:
            return transfers, "endpoint"
    rows = await fetch(
        stack.infra,
        "payouts",
        "SELECT payout_id, party_type, party_id, currency, amount, status "
        "FROM simulated_bank_transfers",
    )
    return [dict(r) | {"calls": None} for r in rows], "table"


async def bank_paid_within_ledger(stack: Stack) -> Check:
    transfers, source = await bank_transfers(stack)
    paid = [t for t in transfers if t["status"] == "paid"]
    paid_per_id = Counter(t["payout_id"] for t in paid)
    bank_per_payee: dict[tuple[str, str, str], int] = defaultdict(int)
    for t in paid:
        bank_per_payee[(t["party_type"], t["party_id"], t["currency"])] += int(t["amount"])
    ledger_rows = await fetch(
        stack.infra,
        "ledger",
        "SELECT a.party_type, a.party_id, a.currency, sum(p.amount)::bigint AS paid_out "
        "FROM postings p JOIN accounts a ON a.code = p.account "
        "WHERE a.sub_account = 'paid_out' GROUP BY 1, 2, 3",
    )
    ledger_paid = {(r[0], r[1], r[2]): int(r[3]) for r in ledger_rows}
    over = {
        k: v - ledger_paid.get(k, 0) for k, v in bank_per_payee.items() if v > ledger_paid.get(k, 0)
    }
    calls = [int(t["calls"]) for t in transfers if t.get("calls") is not None]
    counts = {
        "source": source,
        "transfers": len(transfers),
        "paid": len(paid),
        "paid_amount": sum(bank_per_payee.values()),
        "ledger_paid_out": sum(ledger_paid.values()),
        "payout_ids_paid_twice": sum(1 for n in paid_per_id.values() if n > 1),
        "payees_overpaid": len(over),
        "overpaid_amount": sum(over.values()),
        "retried_calls": sum(c - 1 for c in calls if c > 1),
    }
    ok = counts["payout_ids_paid_twice"] == 0 and not over
    note = "" if ok else json.dumps([[*k, v] for k, v in list(over.items())[:3]])
    return Check(ok, counts, note)
