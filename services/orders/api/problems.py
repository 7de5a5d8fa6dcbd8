"""Expected failures of the orders service as RFC 9457 problems."""

from __future__ import annotations

from services.orders.domain.errors import (
    InvalidOrder,
    InvalidPlan,
    OrdersDomainError,
    TransitionRejected,
)
from services.orders.service.errors import (
    CurrencyMismatch,
    OrderNotFound,
    ShopConflict,
    ShopNotFound,
    UnknownRegion,
    WebhookIdReused,
)
from shared.http.problems import ProblemError

_PROBLEMS: tuple[tuple[type[OrdersDomainError], int, str, str], ...] = (
    (ShopNotFound, 404, "Shop not found", "shop-not-found"),
    (OrderNotFound, 404, "Order not found", "order-not-found"),
    (ShopConflict, 409, "Shop conflict", "shop-conflict"),
    (TransitionRejected, 409, "Transition rejected", "transition-rejected"),
    (InvalidPlan, 422, "Invalid plan", "invalid-plan"),
    (InvalidOrder, 422, "Invalid order", "invalid-order"),
    (CurrencyMismatch, 422, "Currency mismatch", "currency-mismatch"),
    (UnknownRegion, 422, "Unknown region", "unknown-region"),
    (WebhookIdReused, 422, "Webhook id reused", "webhook-id-reused"),
)


def as_problem(error: OrdersDomainError) -> ProblemError:
    """The problem for an expected failure (the reason becomes the ``detail``)."""
    for kind, status, title, suffix in _PROBLEMS:
        if isinstance(error, kind):
            return ProblemError(status, title, error.reason, type_suffix=suffix)
    return ProblemError(422, "Unprocessable request", error.reason)
