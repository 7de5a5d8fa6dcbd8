"""An in-memory ``WebhookUnitOfWork`` (``services.orders.service.ports``) for handler tests:
what is committed lives in plain dicts; a transaction works on copies and keeps them only when
committed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from services.orders.service.ports import (
    DeliveryClaim,
    OrderStream,
    PriorDelivery,
    ShopKey,
    StreamAppend,
    WriteConflict,
)
from shared.db.outbox import RecordLike


@dataclass
class Committed:
    streams: dict[ShopKey, OrderStream] = field(default_factory=dict)
    statuses: dict[ShopKey, str] = field(default_factory=dict)
    deliveries: dict[ShopKey, PriorDelivery] = field(default_factory=dict)
    outbox: list[tuple[str, RecordLike]] = field(default_factory=list)


class _Orders:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    async def lock_streams(self, orders: Sequence[ShopKey]) -> dict[ShopKey, OrderStream]:
        self._uow.locked.append(list(orders))
        streams = self._uow.db.streams
        return {key: streams[key] for key in orders if key in streams}


class _Deliveries:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    async def find(self, deliveries: Sequence[ShopKey]) -> dict[ShopKey, PriorDelivery]:
        found = self._uow.db.deliveries
        return {key: found[key] for key in deliveries if key in found}


class FakeUnitOfWork:
    """``conflicts_before_commit``: how many ``record`` calls raise ``WriteConflict`` first (a
    concurrent writer committed ``sneak_in`` meanwhile). ``fail_commit``: ``commit`` raises
    it, committing nothing."""

    def __init__(
        self,
        db: Committed | None = None,
        *,
        conflicts: int = 0,
        sneak_in: dict[ShopKey, PriorDelivery] | None = None,
        fail_commit: Exception | None = None,
    ) -> None:
        self.db = db or Committed()
        self.orders = _Orders(self)
        self.deliveries = _Deliveries(self)
        self.conflicts = conflicts
        self.sneak_in = sneak_in or {}
        self.fail_commit = fail_commit
        self.locked: list[list[ShopKey]] = []
        self.transactions = 0
        self.commits = 0
        self._pending: Committed | None = None

    async def __aenter__(self) -> Self:
        self.transactions += 1
        self._pending = None
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._pending = None  # rolled back unless commit() applied it

    async def record(
        self,
        claims: Sequence[DeliveryClaim],
        appends: Sequence[StreamAppend],
        topic: str,
        records: Sequence[RecordLike],
    ) -> None:
        if self.conflicts:
            self.conflicts -= 1
            self.db.deliveries.update(self.sneak_in)
            raise WriteConflict("a concurrent writer got there first")
        pending = Committed(
            dict(self.db.streams),
            dict(self.db.statuses),
            dict(self.db.deliveries),
            list(self.db.outbox),
        )
        for claim in claims:
            key = (claim.shop_id, claim.webhook_id)
            assert key not in pending.deliveries, f"{key} claimed twice"
            pending.deliveries[key] = PriorDelivery(claim.body_sha256, claim.event_id)
        for append in appends:
            key = (append.shop_id, append.order_id)
            assert append.existed == (key in pending.streams), f"{key}: existed is wrong"
            before = pending.streams.get(key, OrderStream(()))
            pending.streams[key] = OrderStream(before.events + append.events)
            pending.statuses[key] = append.status
        pending.outbox += [(topic, record) for record in records]
        self._pending = pending

    async def commit(self) -> None:
        if self.fail_commit is not None:
            raise self.fail_commit
        if self._pending is not None:
            self.db.streams = self._pending.streams
            self.db.statuses = self._pending.statuses
            self.db.deliveries = self._pending.deliveries
            self.db.outbox = self._pending.outbox
        self.commits += 1
