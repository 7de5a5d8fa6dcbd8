"""Expected failures of the orders service as RFC 9457 problems."""

from __future__ import annotations

from collections.abc import Sequence

from services.orders.domain.errors import (
    InvalidOrder,
    InvalidPlan,
    OrdersDomainError,
    OutOfBounds,
    TransitionRejected,
)
from services.orders.service.errors import (
    CurrencyMismatch,
    OrderInSeveralShops,
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


def as_problem(error: OrdersDomainError, *, loc_prefix: Sequence[str] = ()) -> ProblemError:
    """The problem for an expected failure (the reason becomes the ``detail``).

    A field out of bounds is reported like any invalid webhook field (``invalid_payload``), at
    ``loc_prefix + error.loc``: the webhook route passes the webhook type, as pydantic's
    locations of a webhook body start with it.
    """
    if isinstance(error, OutOfBounds):
        return invalid_payload([{"loc": [*loc_prefix, *error.loc], "msg": error.reason}])
    if isinstance(error, OrderInSeveralShops):
        return order_in_several_shops(error)
    for kind, status, title, suffix in _PROBLEMS:
        if isinstance(error, kind):
            return ProblemError(status, title, error.reason, type_suffix=suffix)
    return ProblemError(422, "Unprocessable request", error.reason)


def invalid_payload(errors: Sequence[dict[str, object]]) -> ProblemError:
    """422 ``validation-error`` for a webhook body that is not a valid order event. ``errors``
    holds one ``{"loc": [...], "msg": ...}`` per failure; ``loc`` names the field."""
    return ProblemError(
        422,
        "Invalid webhook payload",
        "The webhook body is not a valid order event; see errors.",
        type_suffix="validation-error",
        extra={"errors": list(errors)},
    )


def order_in_several_shops(error: OrderInSeveralShops) -> ProblemError:
    """409 ``order-in-several-shops``: the order id matches orders of several shops the caller
    may read; ``shops`` lists exactly those (sorted), one of which to pass as ``shop_id``."""
    return ProblemError(
        409,
        "Order in several shops",
        error.reason,
        type_suffix="order-in-several-shops",
        extra={"shops": list(error.shop_ids)},
    )
