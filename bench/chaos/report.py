"""The matrix as a table (scenario x invariant, with the counts that matter) and as JSON."""

from __future__ import annotations

from typing import Any

from bench.chaos.invariants import INVARIANTS

HEADLINE = {
    "I1": ("postings", "unbalanced_entries"),
    "I2": ("entries", "events_with_two_or_more", "placements_without_entry"),
    "I3": ("accepted", "on_topic", "folded"),
    "I4": ("released_holds", "orders_released_twice", "released_before_due"),
    "I5": ("live_entries", "replayed_entries"),
    "I6": ("balances_differing", "payouts_differing"),
    "I7": ("paid", "payout_ids_paid_twice", "payees_overpaid"),
}
"""The counts shown in each cell (all of them are in bench/chaos.json)."""


def cell(invariant: str, result: dict[str, Any]) -> str:
    check = result.get("invariants", {}).get(invariant)
    if check is None:
        return "-"
    counts = check["counts"]
    shown = "/".join(str(counts[k]) for k in HEADLINE[invariant] if k in counts)
    return f"{check['status']} {shown}".strip()


def table(matrix: dict[str, Any]) -> str:
    rows = [["scenario", *INVARIANTS, "quiet", "sent/s", "s"]]
    for result in matrix["scenarios"]:
        if "skipped" in result:
            rows.append([result["scenario"], f"skipped: {result['skipped']}"])
            continue
        rows.append(
            [
                result["scenario"],
                *(cell(i, result) for i in INVARIANTS),
                f"{'yes' if result['quiescent'] else 'NO'} {result['quiesce_s']}s",
                str(result["sent_per_s"]),
                str(result["seconds"]),
            ]
        )
    widths = [
        max(len(r[n]) for r in rows if len(r) > n and len(r) > 2) for n in range(len(rows[0]))
    ]
    lines = []
    for row in rows:
        if len(row) == 2:
            lines.append(f"{row[0]:<{widths[0]}}  {row[1]}")
        else:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    legend = "; ".join(f"{i}: {'/'.join(keys)}" for i, keys in HEADLINE.items())
    lines += ["", f"cells: status and counts ({legend})"]
    lines.append(f"wall time {matrix['wall_s']} s (setup {matrix['setup_s']} s)")
    return "\n".join(lines)


def violations(matrix: dict[str, Any]) -> list[str]:
    """`scenario invariant: note` for every violated invariant."""
    found = []
    for result in matrix["scenarios"]:
        for name, check in result.get("invariants", {}).items():
            if check["status"] == "VIOLATED":
                found.append(f"{result['scenario']} {name}: {check['counts']} {check['note']}")
    return found
