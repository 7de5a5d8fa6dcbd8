"""The text `settlement reconcile` prints for a `GET /v1/reconciliation` body (pure: JSON in, text
out). Amounts stay integer minor units: a difference of one unit must show as one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Json = Mapping[str, Any]


def has_differences(body: Json) -> bool:
    return bool(body.get("balances") or body.get("payouts"))


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return (
            "  "
            + "  ".join(
                cell.rjust(width) if n in numeric else cell.ljust(width)
                for n, (cell, width) in enumerate(zip(cells, widths, strict=True))
            ).rstrip()
        )

    return [line(header), *(line(row) for row in rows)]


def _balance_rows(balances: Sequence[Json]) -> list[list[str]]:
    rows = []
    for item in balances:
        party = f"{item['party_type']}/{item['party_id']}"
        for figure in item["differs"]:
            ours, theirs = item["payouts"][figure], item["ledger"][figure]
            rows.append(
                [party, item["currency"], figure, str(ours), str(theirs), f"{ours - theirs:+d}"]
            )
    return rows


def format_reconciliation(body: Json) -> str:
    """A headline, then one line per differing figure and one per disagreeing payout."""
    lines = [f"reconciliation at {body['checked_at']}"]
    balances, payouts = body.get("balances") or [], body.get("payouts") or []
    if not has_differences(body):
        agreeing = "the payouts service and the ledger agree"
        if body.get("payouts_checked", True):
            agreeing += "; every payout's status is the provider's"
        lines.append(agreeing)
    if balances:
        lines.append("")
        lines.append(
            f"{len(balances)} party balance(s) differ between the payouts service and the "
            "ledger (minor units):"
        )
        header = ["party", "currency", "figure", "payouts", "ledger", "payouts - ledger"]
        lines += _table(header, _balance_rows(balances), numeric={3, 4, 5})
    if payouts:
        lines.append("")
        lines.append(f"{len(payouts)} payout(s) whose provider status differs from ours:")
        header = ["payout", "party", "currency", "amount", "ours", "provider"]
        rows = [
            [
                p["payout_id"],
                f"{p['party_type']}/{p['party_id']}",
                p["currency"],
                str(p["amount"]),
                p["status"],
                p["provider_status"],
            ]
            for p in payouts
        ]
        lines += _table(header, rows, numeric={3})
    if not body.get("payouts_checked", True):
        lines.append("")
        lines.append("payouts were not checked: the payout provider cannot be asked about them")
    return "\n".join(lines)
