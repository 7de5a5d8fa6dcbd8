"""The instant a delivered order's funds become releasable, from the terms the order carries."""

from dataclasses import dataclass
from datetime import datetime

from shared.regions import RegionTerms, ReleaseRule, release_at


@dataclass(frozen=True, slots=True)
class HoldTerms:
    """The release terms stamped on the order (`ledger.order_posted.release_terms`).

    `min_payout` is in minor units of the order's currency.
    """

    after_sales_window_days: int
    release_rule: ReleaseRule
    min_payout: int


def release_instant(
    region: str, currency: str, terms: HoldTerms, delivered_at: datetime
) -> datetime:
    """Window end + 1 day (`next_day`), or the first Shanghai instant of the month after the
    window ends (`cn_monthly`); exactly `shared.regions.release_at` for the order's own terms.
    The result is in UTC; a naive `delivered_at` raises `NaiveDatetimeError`."""
    region_terms = RegionTerms(
        code=region,
        currency=currency,
        after_sales_window_days=terms.after_sales_window_days,
        release_rule=terms.release_rule,
        platform_fee_bps=0,
        platform_cut_bps=0,
        creator_tax_bps=0,
        min_payout=terms.min_payout,
    )
    return release_at(region_terms, delivered_at)
