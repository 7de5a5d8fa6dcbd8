"""What the orders use cases need from the outside, as Protocols: the unit of work a webhook
group runs in (with its repositories and outbox) and the shop directory the webhook edge reads.
``adapters/db`` implements them on PostgreSQL; handler tests pass fakes with the same surface.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from services.orders.domain.events import RecordedEvent
from services.orders.domain.plans import Plan
from services.orders.domain.shop import Shop
from shared.db.outbox import RecordLike

ShopKey = tuple[str, str]
"""``(shop_id, some id of that shop)``: an order is ``(shop_id, order_id)``, a delivery
``(shop_id, webhook_id)``; ids of two shops never meet."""


class WriteConflict(Exception):  # noqa: N818 - reads as the condition
    """A concurrent writer got there first (it claimed a ``webhook-id`` or created an order
    this group read as absent, or the database chose this transaction as a deadlock victim).
    The unit of work is rolled back; the group is decided again on what is committed now."""


@dataclass(frozen=True, slots=True)
class OrderStream:
    """An order's recorded events, oldest first (a parked order's: its held facts)."""

    events: tuple[RecordedEvent, ...]
    parked: bool = False


@dataclass(frozen=True, slots=True)
class PriorDelivery:
    """What the first accepted delivery of a ``webhook-id`` was and what it was answered."""

    body_sha256: bytes
    event_id: str


@dataclass(frozen=True, slots=True)
class DeliveryClaim:
    """A ``webhook-id`` of a shop, claimed by the delivery that recorded ``event_id``."""

    shop_id: str
    webhook_id: str
    body_sha256: bytes
    event_id: str
    order_id: str


@dataclass(frozen=True, slots=True)
class StreamAppend:
    """New events for an order's stream, its status after them and, at placement, its terms
    (JSON). ``existed``: the order had a row (locked by ``lock_streams``); else it is created.
    ``parked``: its held facts come back from ``parked_orders`` first."""

    shop_id: str
    order_id: str
    events: tuple[RecordedEvent, ...]
    status: str
    terms: Mapping[str, object] | None
    existed: bool
    parked: bool


class OrderRepository(Protocol):
    async def lock_streams(self, orders: Sequence[ShopKey]) -> dict[ShopKey, OrderStream]:
        """Lock the rows of these orders until the transaction ends and return their streams;
        an order without a row is absent from the answer (nothing is locked or created)."""
        ...


class DeliveryRepository(Protocol):
    async def find(self, deliveries: Sequence[ShopKey]) -> dict[ShopKey, PriorDelivery]:
        """The deliveries of these ``webhook-id``\\ s that are recorded (committed) already."""
        ...


class WebhookUnitOfWork(Protocol):
    """One transaction for a group of webhooks; rolls back unless committed."""

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def deliveries(self) -> DeliveryRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    async def record(
        self,
        claims: Sequence[DeliveryClaim],
        appends: Sequence[StreamAppend],
        topic: str,
        records: Sequence[RecordLike],
    ) -> None:
        """Claim the deliveries, append to (or create) the order streams and queue ``records``
        on the outbox for ``topic``, in this order per key. Raises ``WriteConflict`` when a
        claim or a new order already exists (a concurrent writer committed it meanwhile)."""
        ...

    async def commit(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ShopWanted:
    """A shop a webhook names, and when it is a placement, the instant its plans are read at."""

    shop_id: str
    plans_at: datetime | None


@dataclass(frozen=True, slots=True)
class ShopWithPlans:
    shop: Shop
    plans: tuple[Plan, ...]
    """Validated plans of the shop active at the ``plans_at`` asked for (none without one)."""


class ShopDirectory(Protocol):
    async def shops_with_plans(self, wanted: Sequence[ShopWanted]) -> list[ShopWithPlans | None]:
        """One answer per item, in order (None: no such shop); one query for all."""
        ...
