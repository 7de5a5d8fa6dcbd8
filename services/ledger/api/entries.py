"""An order's entries as the caller may see them (DOMAIN.md "A party's money stays private";
the rule is ``shared.privacy``).

The admin and the order's merchant see every entry whole. A creator or an agency sees only its
own postings, and only the entries that move one of its accounts; of each entry's ``details``
it sees what its own amounts come from, never another party's amount or the order's totals:

- ``order_placed``: ``lines`` (sku, base, rate, plan and commission of each line: what the
  creator's commission, and the agency's share of it, are computed from), ``commission`` (their
  sum) and ``commission_shortfall``; not ``paid_total``, ``agency_share_bps`` or ``terms``
  (which give the merchant net, the platform fee and the agency share).
- refunds, cancellations and clawbacks: ``refund_id`` and ``phase``; not the refunded amounts
  (the buyer's money, which with the lines gives the order's total).
- ``order_released``: ``expected_by_payouts`` cut to the caller's own legs; not
  ``reversed_before_release`` (the sum of every party's reversals).
- any other kind: nothing (new keys stay private until listed here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services.ledger.api.schemas import EntryPublic, PostingPublic
from shared.privacy import Party, Visibility

_PARTY_DETAILS: dict[str, frozenset[str]] = {
    "order_placed": frozenset({"lines", "commission", "commission_shortfall"}),
    "order_refund": frozenset({"refund_id", "phase"}),
    "order_cancel": frozenset({"refund_id", "phase"}),
    "order_clawback": frozenset({"refund_id", "phase"}),
    "order_released": frozenset({"expected_by_payouts"}),
}


def party_of(account: str) -> Party:
    """``merchant/s-1/GBP/pending`` -> ``("merchant", "s-1")``."""
    party_type, party_id, *_ = account.split("/")
    return (party_type, party_id)


def visible_entries(
    found: Sequence[tuple[Any, Sequence[Any]]], visibility: Visibility
) -> list[EntryPublic]:
    """``found`` (one order's entry rows, each with its posting rows) as ``visibility`` shows
    them."""
    entries = []
    for entry, lines in found:
        shown = [line for line in lines if visibility.shows(*party_of(line.account))]
        if not shown:
            continue
        entries.append(
            EntryPublic(
                id=str(entry.id),
                event_id=entry.event_id,
                kind=entry.kind,
                occurred_at=entry.occurred_at,
                recorded_at=entry.recorded_at,
                rule_version=entry.rule_version,
                details=entry.details
                if visibility.everything
                else _party_details(entry.kind, entry.details, visibility),
                postings=[
                    PostingPublic(
                        account=line.account,
                        amount=line.amount,
                        leg=line.leg,
                        plan_id=line.plan_id,
                        rate_bps=line.rate_bps,
                    )
                    for line in shown
                ],
            )
        )
    return entries


def _party_details(kind: str, details: Mapping[str, Any], visibility: Visibility) -> dict[str, Any]:
    kept = {key: value for key, value in details.items() if key in _PARTY_DETAILS.get(kind, ())}
    if "expected_by_payouts" in kept:
        kept["expected_by_payouts"] = [
            leg
            for leg in kept["expected_by_payouts"]
            if visibility.shows(str(leg.get("party_type")), str(leg.get("party_id")))
        ]
    return kept
