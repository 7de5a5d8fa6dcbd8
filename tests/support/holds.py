"""Holds as the payouts service opens them, for tests that start from a given hold."""

from __future__ import annotations

from collections.abc import Sequence

from services.payouts.domain.holds import Hold, PartyAmount, open_hold
from services.payouts.domain.release_instant import HoldTerms

UK = HoldTerms(after_sales_window_days=14, release_rule="next_day", min_payout=1_000)
MERCHANT_ONLY = (PartyAmount("merchant", "shop-1", 900),)


def posted_hold(order_id: str, legs: Sequence[PartyAmount] = MERCHANT_ONLY) -> Hold:
    """A UK order of shop-1 just posted: every leg pending, waiting for delivery."""
    return open_hold(
        order_id=order_id, shop_id="shop-1", region="UK", currency="GBP", terms=UK, legs=legs
    )
