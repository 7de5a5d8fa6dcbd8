"""DOMAIN.md "Bounds at the edge": the largest order the system takes, and when a fact may occur.

What the edge accepts must settle in every service, so every number that reaches ``orders.v1``
is bounded: amounts (``unit_price``, ``discount``, ``shipping_fee``, a refund's ``amount``)
0..10^12 minor units, ``quantity`` 1..10^6, at most 500 lines and ``paid_total`` at most 10^13;
an order not placed yet holds at most 100 facts waiting for its placement.
Every leg, cumulative refund and ``amount * bps`` product (at most 10^17) then fits a signed
64-bit integer (PostgreSQL ``bigint``) with room to spare. ``occurred_at`` lies in
[2000-01-01T00:00:00Z, receipt + 5 minutes] (the signature's clock tolerance), so every instant
computed from it (after-sales windows, release months) stays far inside what a datetime holds.

A violation raises ``OutOfBounds`` with the field's place in the webhook body (``loc``).
"""

from datetime import UTC, datetime, timedelta
from typing import Final

from services.orders.domain.errors import OutOfBounds

Loc = tuple[str, ...]
"""Where a field sits in the webhook body: ``("data", "lines", "3", "unit_price")``."""

MAX_AMOUNT: Final = 10**12
"""Largest ``unit_price``, ``discount``, ``shipping_fee`` or refund ``amount``, in minor units."""
MAX_QUANTITY: Final = 10**6
MAX_LINES: Final = 500
MAX_PAID_TOTAL: Final = 10**13
"""Largest ``paid_total`` (sum of line bases plus shipping) of one order, in minor units."""
EARLIEST_OCCURRED_AT: Final = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_AFTER_RECEIPT: Final = timedelta(minutes=5)
"""How far after the webhook's receipt (server time) its ``occurred_at`` may lie."""
MAX_HELD_FACTS: Final = 100
"""Most facts (a delivery, a cancellation, refunds) one order holds while awaiting its placement."""

OCCURRED_AT: Final[Loc] = ("occurred_at",)
PAID_TOTAL: Final[Loc] = ("data", "paid_total")


def field_name(loc: Loc) -> str:
    """The field as messages name it: ``("data", "lines", "3", "unit_price")`` ->
    ``lines[3].unit_price``."""
    name = ""
    for part in loc[1:] if loc[:1] == ("data",) else loc:
        if part.isdigit():
            name += f"[{part}]"
        else:
            name += f".{part}" if name else part
    return name


def check_at_most(loc: Loc, value: int, maximum: int) -> None:
    """Raise ``OutOfBounds`` naming ``loc`` when ``value`` is above ``maximum``.

    The value is not quoted: an oversized integer can be too long to print.
    """
    if value > maximum:
        raise OutOfBounds(f"{field_name(loc)} must be at most {maximum}", loc=loc)


def check_paid_total(paid_total: int) -> None:
    """Raise ``OutOfBounds`` naming ``paid_total`` when it is above ``MAX_PAID_TOTAL``."""
    if paid_total > MAX_PAID_TOTAL:
        raise OutOfBounds(
            f"paid_total (sum of unit_price * quantity - discount over the lines, plus "
            f"shipping_fee) must be at most {MAX_PAID_TOTAL}, got {paid_total}",
            loc=PAID_TOTAL,
        )


def check_occurred_at(occurred_at: datetime, received_at: datetime | None = None) -> None:
    """Raise ``OutOfBounds`` naming ``occurred_at`` (aware) when it is before
    ``EARLIEST_OCCURRED_AT`` or, given the webhook's receipt time (aware, server clock), more
    than ``LATEST_AFTER_RECEIPT`` after it. Both ends are inclusive."""
    if occurred_at < EARLIEST_OCCURRED_AT:
        raise OutOfBounds("occurred_at must be at or after 2000-01-01T00:00:00Z", loc=OCCURRED_AT)
    if received_at is not None and occurred_at > received_at + LATEST_AFTER_RECEIPT:
        raise OutOfBounds(
            f"occurred_at must be at most 5 minutes after the webhook was received "
            f"({received_at.astimezone(UTC).isoformat()})",
            loc=OCCURRED_AT,
        )
