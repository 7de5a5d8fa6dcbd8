"""``GET /v1/orders/{order_id}``: one order's state, lines, terms and refunds."""

from __future__ import annotations

from fastapi import APIRouter

from services.orders.api.context import ContextDep
from services.orders.api.schemas import OrderIdPath, OrderPublic
from services.orders.service.errors import OrderNotFound
from services.orders.service.queries import order_view
from shared.http.auth import PrincipalDep

router = APIRouter(tags=["orders"])


@router.get("/v1/orders/{order_id}")
async def get_order(
    order_id: OrderIdPath, principal: PrincipalDep, context: ContextDep
) -> OrderPublic:
    """For the admin or a read token of the order's shop (merchant); anyone else gets the same
    404 as for an order that does not exist, so order ids of other shops are not revealed."""
    view = await order_view(context.engine, order_id)
    if not principal.can_read("merchant", view.shop_id):
        raise OrderNotFound(f"no order {order_id}")
    return OrderPublic.of(view.shop_id, view.state, view.terms)
