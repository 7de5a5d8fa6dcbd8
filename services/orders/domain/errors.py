"""Typed failures of the orders domain; the API edge maps them to problem responses.

Each carries a human ``reason`` that is safe to show to the caller (it becomes the problem's
``detail``). Raising one of them means nothing was decided: no event, no state change.
"""


class OrdersDomainError(Exception):
    """Base of every expected orders-domain failure."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidPlan(OrdersDomainError):  # noqa: N818 - names fixed by the contract
    """A commission plan outside DOMAIN.md's bounds (422 at the edge)."""


class InvalidOrder(OrdersDomainError):  # noqa: N818 - names fixed by the contract
    """A webhook fact whose payload can never be valid, whatever the order's state (422)."""


class OutOfBounds(InvalidOrder):
    """A webhook field outside DOMAIN.md's "Bounds at the edge" (422 naming the field).

    ``loc`` is where the field sits in the webhook body, e.g. ``("data", "lines", "3",
    "unit_price")``; ``("data", "paid_total")`` names the order's total, which the body implies.
    """

    def __init__(self, reason: str, *, loc: tuple[str, ...]) -> None:
        super().__init__(reason)
        self.loc = loc


class TransitionRejected(OrdersDomainError):  # noqa: N818 - names fixed by the contract
    """A valid fact the order cannot take in its current state (409 at the edge)."""
