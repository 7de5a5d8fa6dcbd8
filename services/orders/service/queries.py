"""Read side: one order as its stream folds today, as the caller may see it.

An order is identified by ``(shop_id, order_id)``; a read names the order id and, optionally,
the shop. A caller only ever considers the orders it is a party to (the admin: every order; a
merchant: its shop's; a creator or an agency: the placements naming it), so every other order
answers exactly like a missing one and no answer reveals another party's order ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from services.orders.domain.order import OrderState
from services.orders.service.errors import OrderInSeveralShops, OrderNotFound
from services.orders.service.ports import OrderReader
from services.orders.service.webhook_group import fold
from shared.auth import Principal
from shared.privacy import readable


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order as its stream folds; ``terms`` are those stamped at placement (None before)."""

    order_id: str
    shop_id: str
    state: OrderState
    terms: dict[str, Any] | None


async def order_view(
    orders: OrderReader, order_id: str, *, reader: Principal, shop_id: str | None = None
) -> OrderView:
    """The order ``order_id`` (of shop ``shop_id`` when given) that ``reader`` is a party to.

    Raises ``OrderNotFound`` when there is none (whether it does not exist or is another
    party's) and ``OrderInSeveralShops`` when several shops' orders of that id qualify.
    """
    stored = await orders.find(order_id, shop_id=shop_to_read(reader, shop_id))
    candidates = [
        OrderView(order_id=order_id, shop_id=row.shop_id, state=state, terms=row.terms)
        for row in stored
        if (state := fold(e.event for e in row.events)) is not None
    ]
    return visible_order(order_id, candidates, reader=reader, shop_id=shop_id)


def shop_to_read(reader: Principal, shop_id: str | None) -> str | None:
    """The only shop whose orders can qualify, when one can be known before reading: the one
    asked for, or a merchant's own shop (which ``visible_order`` then checks against it)."""
    if reader.party_type == "merchant":
        return reader.party_id
    return shop_id


def visible_order(
    order_id: str, candidates: Iterable[OrderView], *, reader: Principal, shop_id: str | None
) -> OrderView:
    """The one of ``candidates`` (orders of that id) of shop ``shop_id`` (any shop when None)
    that ``reader`` is a party to; ``OrderNotFound`` for none, ``OrderInSeveralShops`` (listing
    only those qualifying shops, sorted) for several."""
    visible = [
        view
        for view in candidates
        if (shop_id is None or view.shop_id == shop_id) and is_party(reader, view)
    ]
    if not visible:
        raise OrderNotFound(f"no order {order_id}")
    if len(visible) > 1:
        raise OrderInSeveralShops(order_id, tuple(sorted(view.shop_id for view in visible)))
    return visible[0]


def is_party(reader: Principal, view: OrderView) -> bool:
    """The admin reads every order; a merchant its shop's; a creator or an agency the orders
    whose placement names it (an order still awaiting its placement names neither)."""
    state = view.state
    parties = set()
    if state.creator_id is not None:
        parties.add(("creator", state.creator_id))
    if state.agency is not None:
        parties.add(("agency", state.agency.agency_id))
    return readable(reader, view.shop_id, parties)
