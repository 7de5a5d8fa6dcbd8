"""What the orders use cases need from the outside, as Protocols: the unit of work a webhook
group runs in (with its repositories and outbox) and the shop directory the webhook edge reads.
``adapters/db`` implements them on PostgreSQL; handler tests pass fakes with the same surface.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from services.orders.domain.events import RecordedEvent
from services.orders.domain.plans import Plan
from services.orders.domain.shop import Shop
from shared.db.outbox import RecordLike
from shared.service.unit_of_work import UnitOfWork

ShopKey = tuple[str, str]
"""``(shop_id, some id of that shop)``: an order is ``(shop_id, order_id)``, a delivery
``(shop_id, webhook_id)``; ids of two shops never meet."""


class WriteConflict(Exception):  # noqa: N818 - reads as the condition
    """Something the group read changed before it committed (a concurrent writer claimed one of
    its ``webhook-id``\\ s, created or changed one of its orders, or the database chose it as a
    deadlock victim). Nothing was written; the group is decided again on what is committed now."""


@dataclass(frozen=True, slots=True)
class OrderStream:
    """An order's recorded events, oldest first (a parked order's: its held facts), and the
    version of its row as read (``status``, and ``stored`` events in the row: 0 when parked)."""

    events: tuple[RecordedEvent, ...]
    status: str
    stored: int

    @property
    def parked(self) -> bool:
        return self.status == "parked"


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
    (JSON). ``read_as``: the stream as the group read it (None: the order had no row and is
    created); the append applies only if the row is still that version, a parked order taking
    its held facts back first."""

    shop_id: str
    order_id: str
    events: tuple[RecordedEvent, ...]
    status: str
    terms: Mapping[str, object] | None
    read_as: OrderStream | None


@dataclass(frozen=True, slots=True)
class GroupRead:
    """What a group's webhooks find committed: the streams of their orders that have a row, and
    the recorded deliveries of their ``webhook-id``\\ s (one consistent snapshot)."""

    streams: Mapping[ShopKey, OrderStream]
    priors: Mapping[ShopKey, PriorDelivery]


class WebhookUnitOfWork(UnitOfWork, Protocol):
    """One atomic write for a group of webhooks, checked against what the group read: nothing
    is written unless ``commit()`` succeeds (optimistic: no lock is held while deciding)."""

    async def read(self, orders: Sequence[ShopKey], deliveries: Sequence[ShopKey]) -> GroupRead:
        """The streams of these orders (absent: no row) and the recorded deliveries of these
        ``webhook-id``\\ s, in one snapshot."""
        ...

    def record(
        self,
        claims: Sequence[DeliveryClaim],
        appends: Sequence[StreamAppend],
        topic: str,
        records: Sequence[RecordLike],
    ) -> None:
        """Queue for ``commit()``: claim the deliveries, append to (or create) the streams and
        queue ``records`` on the outbox for ``topic`` (their order per key kept)."""
        ...

    async def commit(self) -> None:
        """Write what was recorded, atomically, if every claim is new and every stream is still
        as read; else raise ``WriteConflict`` having written nothing."""
        ...


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


@dataclass(frozen=True, slots=True)
class StoredOrder:
    """An order row: its shop, its stream (oldest first) and the terms stamped at placement."""

    order_id: str
    shop_id: str
    events: tuple[RecordedEvent, ...]
    terms: dict[str, Any] | None


class OrderReader(Protocol):
    async def find(self, order_id: str, *, shop_id: str | None) -> list[StoredOrder]:
        """The orders with this id: of shop ``shop_id`` only (at most one), else of every
        shop, ordered by shop id. A parked order's stream is its held facts."""
        ...


class PlanStore(Protocol):
    async def add(self, plan: Plan) -> bool:
        """Store ``plan``; False (nothing stored) when its shop does not exist."""
        ...

    async def of_shop(self, shop_id: str) -> list[Plan] | None:
        """Every plan of the shop, oldest first; None when the shop does not exist."""
        ...


class ShopStore(Protocol):
    """Shops with their secrets in the clear (sealed at rest by the implementation)."""

    @property
    def active_kid(self) -> str:
        """The key id new secrets are sealed under."""
        ...

    async def add_if_absent(self, shop: Shop) -> tuple[Shop | None, bool]:
        """Store ``shop`` unless one has its id: (the stored shop, whether this created it)."""
        ...

    async def change(self, shop_id: str, change: Callable[[Shop], Shop]) -> Shop | None:
        """Apply ``change`` to the shop, row-locked, in one transaction, and store its result
        (None: no such shop). Whatever ``change`` raises aborts it, storing nothing."""
        ...

    async def reseal(self, batch_size: int) -> int:
        """Store again, sealed under the active key, up to ``batch_size`` shops whose secrets
        are plain or under another key; returns how many."""
        ...

    async def count_to_reseal(self) -> int: ...


@dataclass(frozen=True, slots=True)
class ParkedCount:
    orders: int
    oldest_age_s: float
    """Seconds since the oldest was parked (0 when none)."""


class ParkingStore(Protocol):
    async def park_stale(self, *, waited_s: float, limit: int) -> int:
        """Park at most ``limit`` orders still awaiting their placement whose last fact arrived
        more than ``waited_s`` seconds ago (by the database's clock); returns how many."""
        ...

    async def parked_count(self) -> ParkedCount: ...
