"""The split (分账) of a placed order into legs, computed once, from the event alone.

For line i, ``base_i = unit_price_i * quantity_i - discount_i``; ``B = sum(base_i)``;
``paid_total = B + shipping_fee``. With ``round(x * bps) = (x * bps + 5000) // 10000``:

- ``commission_i = round(base_i * rate_i)``, ``C = sum(commission_i)`` (0 without a creator)
- ``platform_fee = round(B * fee_bps)``, ``platform_cut = round(C * cut_bps)``
- ``agency_share = round((C - platform_cut) * share_bps)`` (0 without an agency)
- ``creator_gross = C - platform_cut - agency_share``, ``tax = round(creator_gross * tax_bps)``,
  ``creator_net = creator_gross - tax``
- ``merchant_net = paid_total - platform_fee - C``

so ``merchant_net + creator_net + agency_share + platform_fee + platform_cut + tax == paid_total``.

No leg is ever negative. Rounding each line's commission up can make ``C`` exceed what is left
after the platform fee (six lines of 1 at 8000 bps: ``C = 6``, fee 1, paid 6): then the
commission is capped at ``paid_total - platform_fee`` (the merchant keeps 0), the shortfall is
taken from the commission before the cut, agency share and tax are computed from it, and
``commission_shortfall`` records how much was taken (0 otherwise). Every other leg is a rounded
share of a non-negative amount at a rate of at most 100 %, so it is never negative either.
"""

from collections.abc import Sequence
from dataclasses import dataclass, fields

from services.ledger.domain.errors import InvalidSplitError
from services.ledger.domain.order import PlacedOrder, SplitTerms
from shared.money import apply_bps

RULE_VERSION = "split-2026-11.v2"
"""Version of the rules in this module, recorded on every split and reversal they produce.

v2: the commission is capped so the merchant's leg is never negative, and refunds are reversed
by a monotone apportionment (``services.ledger.domain.reversal``)."""


@dataclass(frozen=True, slots=True)
class Legs:
    """One amount per party leg, in minor units of the order currency.

    Field order is the canonical leg order (it breaks allocation ties: earlier legs first).
    """

    merchant_net: int
    creator_net: int
    agency_share: int
    platform_fee: int
    platform_cut: int
    tax: int

    @classmethod
    def from_amounts(cls, amounts: Sequence[int]) -> "Legs":
        """Legs from amounts listed in ``LEG_NAMES`` order."""
        if len(amounts) != len(LEG_NAMES):
            raise ValueError(f"expected {len(LEG_NAMES)} leg amounts, got {len(amounts)}")
        return cls(*amounts)

    def amounts(self) -> tuple[int, ...]:
        """The amounts in ``LEG_NAMES`` order."""
        # Spelled out rather than dataclasses.astuple, which deep-copies and dominated the fold.
        return (
            self.merchant_net,
            self.creator_net,
            self.agency_share,
            self.platform_fee,
            self.platform_cut,
            self.tax,
        )

    @property
    def total(self) -> int:
        return sum(self.amounts())

    def __add__(self, other: "Legs") -> "Legs":
        return Legs.from_amounts(
            [a + b for a, b in zip(self.amounts(), other.amounts(), strict=True)]
        )

    def __sub__(self, other: "Legs") -> "Legs":
        return Legs.from_amounts(
            [a - b for a, b in zip(self.amounts(), other.amounts(), strict=True)]
        )


LEG_NAMES: tuple[str, ...] = tuple(field.name for field in fields(Legs))


@dataclass(frozen=True, slots=True)
class LineCommission:
    """Provenance of one line's commission: ``commission = round(base * rate_bps)``.

    ``rate_bps`` and ``plan_id`` are those stamped on the event, or 0 and ``None`` when the order
    has no creator.
    """

    sku: str
    base: int
    rate_bps: int
    plan_id: str | None
    commission: int


@dataclass(frozen=True, slots=True)
class Split:
    """Every leg of an order's money, in minor units of ``currency``, with its provenance.

    Invariant: ``merchant_net + creator_net + agency_share + platform_fee + platform_cut + tax
    == paid_total`` (checked on construction). ``terms``, ``agency_share_bps`` and the per-line
    commissions record which rates produced each leg; ``rule_version`` which rules.
    """

    order_id: str
    shop_id: str
    currency: str
    creator_id: str | None
    agency_id: str | None
    paid_total: int
    commissionable_base: int
    shipping_fee: int
    commission: int
    """``C`` after the cap: ``sum(line.commission) - commission_shortfall``."""
    creator_gross: int
    merchant_net: int
    creator_net: int
    agency_share: int
    platform_fee: int
    platform_cut: int
    tax: int
    lines: tuple[LineCommission, ...]
    terms: SplitTerms
    agency_share_bps: int
    commission_shortfall: int = 0
    """Minor units taken from the lines' commissions so that ``merchant_net`` is not negative."""
    rule_version: str = RULE_VERSION

    def __post_init__(self) -> None:
        legs = self.legs
        if min(legs.amounts()) < 0:
            raise InvalidSplitError(f"order {self.order_id}: a leg is negative: {legs}")
        if legs.total != self.paid_total:
            raise InvalidSplitError(
                f"order {self.order_id}: legs sum to {legs.total}, paid total is {self.paid_total}"
            )

    @property
    def legs(self) -> Legs:
        return Legs(
            merchant_net=self.merchant_net,
            creator_net=self.creator_net,
            agency_share=self.agency_share,
            platform_fee=self.platform_fee,
            platform_cut=self.platform_cut,
            tax=self.tax,
        )


def _line_commissions(order: PlacedOrder) -> tuple[LineCommission, ...]:
    has_creator = order.creator_id is not None
    return tuple(
        LineCommission(
            sku=line.sku,
            base=line.base,
            rate_bps=line.rate_bps if has_creator else 0,
            plan_id=line.plan_id if has_creator else None,
            commission=apply_bps(line.base, line.rate_bps) if has_creator else 0,
        )
        for line in order.lines
    )


def compute_split(order: PlacedOrder) -> Split:
    """Split a placed order into legs; a pure function of the order (no clock, no lookups)."""
    lines = _line_commissions(order)
    terms = order.terms
    base = order.commissionable_base
    paid_total = order.paid_total
    platform_fee = apply_bps(base, terms.platform_fee_bps)
    lines_commission = sum(line.commission for line in lines)
    shortfall = max(0, lines_commission - (paid_total - platform_fee))
    commission = lines_commission - shortfall
    platform_cut = apply_bps(commission, terms.platform_cut_bps)
    agency_share_bps = order.agency.share_bps if order.agency is not None else 0
    agency_share = apply_bps(commission - platform_cut, agency_share_bps)
    creator_gross = commission - platform_cut - agency_share
    tax = apply_bps(creator_gross, terms.creator_tax_bps)
    return Split(
        order_id=order.order_id,
        shop_id=order.shop_id,
        currency=order.currency,
        creator_id=order.creator_id,
        agency_id=order.agency.agency_id if order.agency is not None else None,
        paid_total=paid_total,
        commissionable_base=base,
        shipping_fee=order.shipping_fee,
        commission=commission,
        creator_gross=creator_gross,
        merchant_net=paid_total - platform_fee - commission,
        creator_net=creator_gross - tax,
        agency_share=agency_share,
        platform_fee=platform_fee,
        platform_cut=platform_cut,
        tax=tax,
        lines=lines,
        terms=terms,
        agency_share_bps=agency_share_bps,
        commission_shortfall=shortfall,
    )
