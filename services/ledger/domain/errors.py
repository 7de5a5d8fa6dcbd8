"""Typed failures of the ledger domain; the API edge maps them to problem responses."""


class LedgerDomainError(Exception):
    """Base of every expected ledger-domain failure."""


class InvalidOrderError(LedgerDomainError, ValueError):
    """A placed order cannot be split: a field is missing, not an int, or out of range."""


class InvalidRefundError(LedgerDomainError, ValueError):
    """Refund bounds that make no sense: negative, or a cumulative total going backwards."""


class RefundExceedsPaidTotalError(LedgerDomainError):
    """Cumulative refunds would exceed the order's paid total (a 409 at the edge)."""

    def __init__(self, *, order_id: str, paid_total: int, refunded_cumulative: int) -> None:
        super().__init__(
            f"order {order_id}: cumulative refunds {refunded_cumulative} "
            f"exceed paid total {paid_total}"
        )
        self.order_id = order_id
        self.paid_total = paid_total
        self.refunded_cumulative = refunded_cumulative


class InvalidSplitError(LedgerDomainError, ValueError):
    """A split whose legs do not sum to its paid total (e.g. rebuilt from corrupt data)."""


class UnknownOrderError(LedgerDomainError):
    """An event about an order the ledger has not seen placed."""


class DuplicateOrderError(LedgerDomainError):
    """A second ``order.placed`` for an order already placed (under another event id)."""


class PayoutTransitionError(LedgerDomainError):
    """A payout event that does not follow from the payout's state (e.g. paid before created)."""
