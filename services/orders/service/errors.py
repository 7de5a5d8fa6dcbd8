"""Expected failures of the orders use cases (beyond the domain's); the API maps each to a
problem response. Raising one means the use case recorded nothing."""

from services.orders.domain.errors import OrdersDomainError


class ShopNotFound(OrdersDomainError):  # noqa: N818 - reads as the condition (404)
    """No shop has this id (404)."""


class ShopConflict(OrdersDomainError):  # noqa: N818 - reads as the condition (409)
    """The shop exists with other settings, or its secrets cannot change that way now (409)."""


class UnknownRegion(OrdersDomainError):  # noqa: N818 - reads as the condition (422)
    """The region code has no terms (422)."""


class WebhookIdReused(OrdersDomainError):  # noqa: N818 - reads as the condition (422)
    """A ``webhook-id`` already seen for this shop came with a different body (422)."""


class CurrencyMismatch(OrdersDomainError):  # noqa: N818 - reads as the condition (422)
    """An order's currency is not the currency of the shop's region (422)."""


class OrderNotFound(OrdersDomainError):  # noqa: N818 - reads as the condition (404)
    """No order has this id, or the caller may not see it (404)."""


class OrderInSeveralShops(OrdersDomainError):  # noqa: N818 - reads as the condition (409)
    """The order id names an order in several shops the caller may see, and the request did not
    say which (409, listing ``shop_ids`` so the caller can pass ``shop_id``)."""

    def __init__(self, order_id: str, shop_ids: tuple[str, ...]) -> None:
        super().__init__(
            f"order id {order_id} is used by shops {', '.join(shop_ids)}; name one with shop_id"
        )
        self.shop_ids = shop_ids
