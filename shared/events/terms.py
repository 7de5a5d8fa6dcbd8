"""Region terms as stamped on events, so consumers compute from the event alone.

The orders service copies the terms in force for the shop (`shared.regions` defaults, possibly
overridden per shop) onto `order.placed` as `OrderTerms`; the ledger passes the release part on in
`ledger.order_posted` as `ReleaseTerms` for the payouts service. A later change of a region's terms
never alters an order already placed. Field names and the `release_rule` values (`next_day`,
`cn_monthly`) are those of `shared.regions.RegionTerms`, whose `release_at` computes the instant.
"""

from typing import Self

from shared.events.common import Amount, Bps, Days, EventPart
from shared.regions import RegionTerms, ReleaseRule


class ReleaseTerms(EventPart):
    """What the payouts service needs to hold and pay an order's funds."""

    after_sales_window_days: Days
    """Whole 24-hour days after `delivered_at` during which refunds keep funds pending."""
    release_rule: ReleaseRule
    min_payout: Amount
    """Minor units; a payee is paid once their available balance reaches it."""


class OrderTerms(ReleaseTerms):
    """All the terms in force for an order: the split rates plus the release terms."""

    platform_fee_bps: Bps
    """On the commissionable base."""
    platform_cut_bps: Bps
    """Of the commission."""
    creator_tax_bps: Bps
    """Withheld from the creator's gross commission."""

    @classmethod
    def from_region(cls, region: RegionTerms) -> Self:
        """The terms of a region (or a shop's overridden copy of one), as the event carries them."""
        return cls(
            after_sales_window_days=region.after_sales_window_days,
            release_rule=region.release_rule,
            min_payout=region.min_payout,
            platform_fee_bps=region.platform_fee_bps,
            platform_cut_bps=region.platform_cut_bps,
            creator_tax_bps=region.creator_tax_bps,
        )

    def release_terms(self) -> ReleaseTerms:
        """The part the ledger forwards to the payouts service."""
        return ReleaseTerms(
            after_sales_window_days=self.after_sales_window_days,
            release_rule=self.release_rule,
            min_payout=self.min_payout,
        )
