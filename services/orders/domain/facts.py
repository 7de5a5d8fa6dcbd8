"""The four webhook facts about an order and their payload validation.

Amounts are ints of the order currency's minor unit; ``share_bps`` is int bps; every
``occurred_at`` is a timezone-aware instant stated by the upstream shop system. A valid fact is
within the bounds of ``services.orders.domain.bounds``.
"""

from dataclasses import dataclass
from datetime import datetime

from services.orders.domain.bounds import (
    MAX_AMOUNT,
    MAX_LINES,
    MAX_QUANTITY,
    Loc,
    check_at_most,
    check_occurred_at,
    check_paid_total,
    field_name,
)
from services.orders.domain.errors import InvalidOrder
from shared.money import BPS_DENOMINATOR, is_currency, is_int


@dataclass(frozen=True, slots=True)
class Line:
    """One ordered SKU. ``base = unit_price * quantity - discount`` (must be >= 0)."""

    sku: str
    quantity: int
    unit_price: int
    discount: int = 0

    @property
    def base(self) -> int:
        """Commissionable amount of the line, in minor units."""
        return self.unit_price * self.quantity - self.discount


@dataclass(frozen=True, slots=True)
class Agency:
    """The creator's agency (MCN) and its share of the commission, in bps (0..10,000)."""

    agency_id: str
    share_bps: int


@dataclass(frozen=True, slots=True)
class Placed:
    """``order.placed``: the order, as the buyer paid for it."""

    order_id: str
    occurred_at: datetime
    currency: str
    lines: tuple[Line, ...]
    shipping_fee: int = 0
    creator_id: str | None = None
    agency: Agency | None = None

    @property
    def paid_total(self) -> int:
        """What the buyer paid: the sum of line bases plus the (non-commissionable) shipping."""
        return sum(line.base for line in self.lines) + self.shipping_fee


@dataclass(frozen=True, slots=True)
class Delivered:
    """``order.delivered``: delivery happened at ``occurred_at``."""

    order_id: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class Refunded:
    """``order.refunded``: ``amount`` minor units (>= 1) went back to the buyer."""

    order_id: str
    occurred_at: datetime
    refund_id: str
    amount: int


@dataclass(frozen=True, slots=True)
class Cancelled:
    """``order.cancelled``: the order was cancelled before delivery."""

    order_id: str
    occurred_at: datetime


Fact = Placed | Delivered | Refunded | Cancelled


def validate_fact(fact: Fact, *, received_at: datetime | None = None) -> None:
    """Raise ``InvalidOrder`` if the payload can never be valid, whatever the order's state.

    Out of DOMAIN.md's bounds is ``OutOfBounds`` (an ``InvalidOrder`` naming the field). Given
    ``received_at`` (aware: when the webhook arrived, by the server's clock), ``occurred_at`` may
    lie at most 5 minutes after it; without it only its lower bound is checked.
    """
    _require_text("order_id", fact.order_id)
    if not isinstance(fact.occurred_at, datetime) or fact.occurred_at.utcoffset() is None:
        raise InvalidOrder("occurred_at must be a timezone-aware timestamp")
    check_occurred_at(fact.occurred_at, received_at)
    if isinstance(fact, Placed):
        _validate_placement(fact)
    elif isinstance(fact, Refunded):
        _require_text("refund_id", fact.refund_id)
        _require_int(("data", "amount"), fact.amount, minimum=1, maximum=MAX_AMOUNT)


def _validate_placement(placed: Placed) -> None:
    if not is_currency(placed.currency):
        raise InvalidOrder(f"currency {placed.currency!r} is not a settled ISO 4217 code")
    if not isinstance(placed.lines, tuple) or not placed.lines:
        raise InvalidOrder("an order needs at least one line")
    check_at_most(("data", "lines"), len(placed.lines), MAX_LINES)
    for index, line in enumerate(placed.lines):
        _validate_line(("data", "lines", str(index)), line)
    _require_int(("data", "shipping_fee"), placed.shipping_fee, minimum=0, maximum=MAX_AMOUNT)
    check_paid_total(placed.paid_total)
    if placed.creator_id is not None:
        _require_text("creator_id", placed.creator_id)
    if placed.agency is not None:
        _require_text("agency.agency_id", placed.agency.agency_id)
        share = ("data", "agency", "share_bps")
        _require_int(share, placed.agency.share_bps, minimum=0, maximum=BPS_DENOMINATOR)


def _validate_line(where: Loc, line: Line) -> None:
    if not isinstance(line.sku, str) or not line.sku:
        _require_text(f"{field_name(where)}.sku", line.sku)
    _require_int((*where, "quantity"), line.quantity, minimum=1, maximum=MAX_QUANTITY)
    _require_int((*where, "unit_price"), line.unit_price, minimum=0, maximum=MAX_AMOUNT)
    _require_int((*where, "discount"), line.discount, minimum=0, maximum=MAX_AMOUNT)
    if line.base < 0:
        raise InvalidOrder(
            f"{field_name(where)}: discount {line.discount} exceeds "
            f"{line.quantity} x {line.unit_price}"
        )


def _require_text(name: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidOrder(f"{name} must be a non-empty string")


def _require_int(loc: Loc, value: object, *, minimum: int, maximum: int) -> None:
    # The common case first and cheapest (no field name is built unless something is wrong).
    if type(value) is int and minimum <= value <= maximum:
        return
    name = field_name(loc)
    if not is_int(value):
        raise InvalidOrder(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise InvalidOrder(f"{name} must be at least {minimum}, got {value}")
    check_at_most(loc, value, maximum)
