"""An in-memory ``WebhookUnitOfWork`` (``services.orders.service.ports``) for handler tests:
what is committed lives in plain dicts; ``commit`` applies what was recorded, or nothing, and
checks what the real one checks (a claim is new, a stream is still the version read)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from services.orders.service.ports import (
    DeliveryClaim,
    GroupRead,
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


class FakeUnitOfWork:
    """``conflicts``: how many ``commit`` calls raise ``WriteConflict`` first, a concurrent
    writer having committed ``sneak_in`` meanwhile. ``fail_commit``: ``commit`` raises it,
    writing nothing."""

    def __init__(
        self,
        db: Committed | None = None,
        *,
        conflicts: int = 0,
        sneak_in: dict[ShopKey, PriorDelivery] | None = None,
        fail_commit: Exception | None = None,
    ) -> None:
        self.db = db or Committed()
        self.conflicts = conflicts
        self.sneak_in = sneak_in or {}
        self.fail_commit = fail_commit
        self.reads: list[list[ShopKey]] = []
        self.transactions = 0
        self.commits = 0
        self._recorded: tuple[Any, ...] | None = None

    async def __aenter__(self) -> Self:
        self.transactions += 1
        self._recorded = None
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._recorded = None  # never written unless committed

    async def read(self, orders: Sequence[ShopKey], deliveries: Sequence[ShopKey]) -> GroupRead:
        self.reads.append(list(orders))
        streams, found = self.db.streams, self.db.deliveries
        return GroupRead(
            streams={key: streams[key] for key in orders if key in streams},
            priors={key: found[key] for key in deliveries if key in found},
        )

    def record(
        self,
        claims: Sequence[DeliveryClaim],
        appends: Sequence[StreamAppend],
        topic: str,
        records: Sequence[RecordLike],
    ) -> None:
        self._recorded = (list(claims), list(appends), topic, list(records))

    async def commit(self) -> None:
        if self.fail_commit is not None:
            raise self.fail_commit
        if self.conflicts:
            self.conflicts -= 1
            self.db.deliveries.update(self.sneak_in)
            raise WriteConflict("a concurrent writer got there first")
        if self._recorded is not None:
            self._apply(*self._recorded)
        self.commits += 1

    def _apply(
        self,
        claims: list[DeliveryClaim],
        appends: list[StreamAppend],
        topic: str,
        records: list[RecordLike],
    ) -> None:
        for claim in claims:
            key = (claim.shop_id, claim.webhook_id)
            if key in self.db.deliveries:
                raise WriteConflict(f"{key} was claimed meanwhile")
        for append in appends:
            key = (append.shop_id, append.order_id)
            if self.db.streams.get(key) != append.read_as:
                raise WriteConflict(f"{key} changed meanwhile")
        for claim in claims:
            key = (claim.shop_id, claim.webhook_id)
            self.db.deliveries[key] = PriorDelivery(claim.body_sha256, claim.event_id)
        for append in appends:
            key = (append.shop_id, append.order_id)
            before = self.db.streams.get(key, OrderStream((), "", 0)).events
            events = before + append.events
            self.db.streams[key] = OrderStream(events, append.status, len(events))
            self.db.statuses[key] = append.status
        self.db.outbox += [(topic, record) for record in records]
