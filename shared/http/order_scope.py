"""Which shop's order an ``/orders/{order_id}``-style read means (DOMAIN.md "Orders belong to
their shop").

An order is ``(shop_id, order_id)``; read endpoints keyed by an order id take an optional
``shop_id``. The caller sees only the orders it may read: a merchant token its own shop's, a
creator or agency token those it is a party to, the admin all. An order the caller may not read
answers exactly like one that does not exist (404), so ids cannot be probed; several readable
matches without ``shop_id`` answer 409 listing only those shops. The orders service keeps the
same rule with typed domain errors (its ``service/queries.py`` uses ``readable``) and answers
with the same problems. Which amounts of the order the caller then sees is
``shared.privacy.visibility``.
"""

from collections.abc import Collection, Mapping

from shared.auth import Principal
from shared.http.problems import ProblemError
from shared.privacy import Party, readable

__all__ = ["Party", "readable", "resolve_shop"]


def resolve_shop(
    principal: Principal,
    order_id: str,
    candidates: Mapping[str, Collection[Party]],
    shop_id: str | None = None,
) -> str:
    """The one shop whose order ``order_id`` the request means.

    ``candidates`` maps each shop that has an order ``order_id`` to that order's parties. Raises
    a 404 problem when no readable order matches (whether or not one exists) and a 409 problem
    with ``shops`` (the readable matches, sorted) when several do and ``shop_id`` is absent.
    """
    shops = sorted(
        shop
        for shop, parties in candidates.items()
        if (shop_id is None or shop == shop_id) and readable(principal, shop, parties)
    )
    if not shops:
        raise ProblemError(
            404, "Order not found", f"no order {order_id}", type_suffix="order-not-found"
        )
    if len(shops) > 1:
        raise ProblemError(
            409,
            "Order in several shops",
            f"order id {order_id} is used by shops {', '.join(shops)}; name one with shop_id",
            type_suffix="order-in-several-shops",
            extra={"shops": shops},
        )
    return shops[0]
