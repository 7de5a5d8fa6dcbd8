"""``GET /v1/orders/{order_id}``: one order's state, lines, terms and refunds, as the caller may
see them (the admin and its merchant all; a creator or an agency its own part)."""

from __future__ import annotations

from fastapi import APIRouter

from services.orders.api.context import ContextDep
from services.orders.api.schemas import OrderIdPath, OrderPublic, ShopIdQuery
from services.orders.service.queries import order_view
from shared.http.auth import PrincipalDep
from shared.privacy import visibility

router = APIRouter(tags=["orders"])


@router.get("/v1/orders/{order_id}")
async def get_order(
    order_id: OrderIdPath,
    principal: PrincipalDep,
    context: ContextDep,
    shop_id: ShopIdQuery = None,
) -> OrderPublic:
    """An order is ``(shop_id, order_id)``. A merchant token reads its own shop's order (another
    ``shop_id`` is a 404); a creator or agency token only orders whose placement names it; any
    other order answers the same 404 as a missing one, so no order id of another party is
    revealed. Without ``shop_id``, an id matching orders of several shops the caller may read
    is a 409 ``order-in-several-shops`` listing them in ``shops``. The admin and the merchant
    see the whole order; a creator or an agency what its own commission comes from, not the
    order's totals or another party's terms (``OrderPublic``; the rule is ``shared.privacy``)."""
    view = await order_view(context.orders, order_id, reader=principal, shop_id=shop_id)
    sees = visibility(principal, view.shop_id)
    return OrderPublic.of(view.shop_id, view.state, view.terms, sees)
