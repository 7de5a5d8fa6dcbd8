"""Recently used orders' placement and split, kept between batches (both immutable once placed)."""

from __future__ import annotations

from collections import OrderedDict

from services.ledger.domain.split import Split
from services.ledger.domain.state import OrderKey, OrderState
from shared.events.orders_v1 import OrderPlaced

PLACED_CACHE_ORDERS = 10_000
"""Default size of the placement cache: ~6 KB per order, so ~60 MB at most."""


class PlacedCache:
    """Placement and split by ``(shop_id, order_id)``; bounded, least recently used out first.

    Saves re-parsing the stored ``order.placed`` and recomputing the split for every later event
    of an order. Safe to share between batches because nothing it holds ever changes; only
    committed orders are put in (``OrderRepository`` does so after commit).
    """

    def __init__(self, capacity: int = PLACED_CACHE_ORDERS) -> None:
        self._capacity = capacity
        self._items: OrderedDict[OrderKey, tuple[OrderPlaced, Split]] = OrderedDict()

    def get(self, key: OrderKey) -> tuple[OrderPlaced, Split] | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, order: OrderState) -> None:
        self._items[order.key] = (order.placed, order.split)
        self._items.move_to_end(order.key)
        while len(self._items) > self._capacity:
            self._items.popitem(last=False)
