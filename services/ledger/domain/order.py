"""A placed order as the ledger sees it: the `order.placed` event's terms, validated.

Every amount is an int of the order currency's minor unit; every rate is int bps (0..10,000). The
rate and plan of each line were resolved by the orders service and stamped on the event, so the
ledger never looks plans up: later plan changes cannot alter an existing order.
"""

from dataclasses import dataclass

from services.ledger.domain.errors import InvalidOrderError
from shared.money import BPS_DENOMINATOR, is_currency, is_int
from shared.regions import RegionTerms


def _require_amount(owner: str, name: str, value: object, *, minimum: int = 0) -> int:
    if not is_int(value):
        raise InvalidOrderError(f"{owner}.{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise InvalidOrderError(f"{owner}.{name} must be >= {minimum}, got {value}")
    return value


def _require_bps(owner: str, name: str, value: object) -> None:
    if _require_amount(owner, name, value) > BPS_DENOMINATOR:
        raise InvalidOrderError(f"{owner}.{name} must be at most 10000 bps, got {value}")


def _require_text(owner: str, name: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidOrderError(f"{owner}.{name} must be a non-empty str, got {value!r}")


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One line of the order with the commission terms resolved for it.

    ``base = unit_price * quantity - discount`` must be >= 0. ``rate_bps`` is 0 when no plan
    applies, in which case ``plan_id`` is normally ``None``.
    """

    sku: str
    quantity: int
    unit_price: int
    discount: int
    rate_bps: int
    plan_id: str | None = None

    def __post_init__(self) -> None:
        _require_text("line", "sku", self.sku)
        _require_amount("line", "quantity", self.quantity, minimum=1)
        _require_amount("line", "unit_price", self.unit_price)
        _require_amount("line", "discount", self.discount)
        _require_bps("line", "rate_bps", self.rate_bps)
        if self.plan_id is not None:
            _require_text("line", "plan_id", self.plan_id)
        if self.base < 0:
            raise InvalidOrderError(
                f"line {self.sku}: discount {self.discount} exceeds "
                f"{self.quantity} x {self.unit_price}"
            )

    @property
    def base(self) -> int:
        """Commissionable amount of the line, in minor units."""
        return self.unit_price * self.quantity - self.discount


@dataclass(frozen=True, slots=True)
class Agency:
    """The creator's agency (MCN) and its share of the commission net of the platform cut."""

    agency_id: str
    share_bps: int

    def __post_init__(self) -> None:
        _require_text("agency", "agency_id", self.agency_id)
        _require_bps("agency", "share_bps", self.share_bps)


@dataclass(frozen=True, slots=True)
class SplitTerms:
    """The region terms (after per-shop overrides) that the split needs, in bps."""

    platform_fee_bps: int
    platform_cut_bps: int
    creator_tax_bps: int

    def __post_init__(self) -> None:
        _require_bps("terms", "platform_fee_bps", self.platform_fee_bps)
        _require_bps("terms", "platform_cut_bps", self.platform_cut_bps)
        _require_bps("terms", "creator_tax_bps", self.creator_tax_bps)

    @classmethod
    def from_region(cls, region: RegionTerms) -> "SplitTerms":
        return cls(region.platform_fee_bps, region.platform_cut_bps, region.creator_tax_bps)


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    """The ledger's view of an ``order.placed`` event: everything the split is computed from.

    ``shop_id`` is the merchant. Without ``creator_id`` no commission is due whatever the lines'
    rates; without ``agency`` the agency share is 0. ``shipping_fee`` is paid but not
    commissionable.
    """

    order_id: str
    shop_id: str
    currency: str
    lines: tuple[OrderLine, ...]
    shipping_fee: int
    terms: SplitTerms
    creator_id: str | None = None
    agency: Agency | None = None

    def __post_init__(self) -> None:
        _require_text("order", "order_id", self.order_id)
        _require_text("order", "shop_id", self.shop_id)
        if not is_currency(self.currency):
            raise InvalidOrderError(f"order.currency is not a settled currency: {self.currency!r}")
        if not isinstance(self.lines, tuple) or not self.lines:
            raise InvalidOrderError("order.lines must be a non-empty tuple of OrderLine")
        if not all(isinstance(line, OrderLine) for line in self.lines):
            raise InvalidOrderError("order.lines must hold OrderLine values only")
        _require_amount("order", "shipping_fee", self.shipping_fee)
        if not isinstance(self.terms, SplitTerms):
            raise InvalidOrderError("order.terms must be SplitTerms")
        if self.creator_id is not None:
            _require_text("order", "creator_id", self.creator_id)
        if self.agency is not None and not isinstance(self.agency, Agency):
            raise InvalidOrderError("order.agency must be an Agency or None")

    @property
    def commissionable_base(self) -> int:
        """``B``: sum of line bases, in minor units."""
        return sum(line.base for line in self.lines)

    @property
    def paid_total(self) -> int:
        """What the buyer paid: ``B + shipping_fee``, in minor units."""
        return self.commissionable_base + self.shipping_fee
