"""``fold_batch``: a batch folded exactly once in one unit of work (fakes of the ports)."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Self, TypeVar

import pytest

from services.ledger.domain.errors import DuplicateOrderError, UnknownOrderError
from services.ledger.domain.journal import JournalEntry
from services.ledger.domain.outputs import Incoming, Publication
from services.ledger.domain.state import OrderKey, OrderState, PayoutState
from services.ledger.service.handlers import FoldBatch, fold_batch
from shared.events.orders_v1 import OrderRefunded
from shared.service.unit_of_work import HasEventId
from tests.support.ledger_events import T0, placed

M = TypeVar("M", bound=HasEventId)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class FakeStore:
    """What a committed database would hold."""

    def __init__(self) -> None:
        self.handled: set[str] = set()
        self.entries: list[JournalEntry] = []
        self.orders: dict[OrderKey, OrderState] = {}
        self.payouts: dict[str, PayoutState] = {}
        self.publications: list[Publication] = []
        self.positions: dict[tuple[str, int], int] = {}


class FakeJournal:
    def __init__(self) -> None:
        self.entries: list[JournalEntry] = []

    async def append(self, entries: Sequence[JournalEntry], recorded_at: datetime) -> None:
        self.entries += entries


class FakeOrders:
    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self.saved: dict[OrderKey, OrderState] = {}

    async def lock_and_load(self, keys: Collection[OrderKey]) -> dict[OrderKey, OrderState]:
        return {key: self._store.orders[key] for key in keys if key in self._store.orders}

    async def save(self, orders: Mapping[OrderKey, OrderState]) -> None:
        self.saved.update(orders)


class FakePayouts:
    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self.saved: dict[str, PayoutState] = {}

    async def lock_and_load(self, payout_ids: Collection[str]) -> dict[str, PayoutState]:
        return {p: self._store.payouts[p] for p in payout_ids if p in self._store.payouts}

    async def save(self, payouts: Mapping[str, PayoutState]) -> None:
        self.saved.update(payouts)


class FakeUnitOfWork:
    """Buffers every change and applies it to the store on commit only."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store

    @property
    def journal(self) -> FakeJournal:
        return self._journal

    @property
    def orders(self) -> FakeOrders:
        return self._orders

    @property
    def payouts(self) -> FakePayouts:
        return self._payouts

    async def __aenter__(self) -> Self:
        self._journal = FakeJournal()
        self._orders = FakeOrders(self._store)
        self._payouts = FakePayouts(self._store)
        self._claimed: set[str] = set()
        self._publications: list[Publication] = []
        self._positions: dict[tuple[str, int], int] = {}
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        store = self._store
        store.handled |= self._claimed
        store.entries += self._journal.entries
        store.orders.update(self._orders.saved)
        store.payouts.update(self._payouts.saved)
        store.publications += self._publications
        store.positions.update(self._positions)

    async def claim_new(self, messages: Sequence[M]) -> list[M]:
        fresh = []
        for message in messages:
            if message.event_id not in self._store.handled | self._claimed:
                self._claimed.add(message.event_id)
                fresh.append(message)
        return fresh

    async def save_positions(self, next_offsets: Mapping[tuple[str, int], int]) -> None:
        self._positions.update(next_offsets)

    async def stored_positions(self) -> dict[tuple[str, int], int]:
        return dict(self._positions)

    async def publish(self, publications: Sequence[Publication], recorded_at: datetime) -> None:
        self._publications += publications


def refund(amount: int, total: int) -> OrderRefunded:
    return OrderRefunded(
        order_id="o-1",
        shop_id="shop-1",
        refund_id=f"r-{total}",
        amount=amount,
        occurred_at=T0,
        refunded_total=total,
    )


def fold(store: FakeStore, events: list[Incoming], offset: int) -> int:
    batch = FoldBatch(events, {("orders", 0): offset})
    return asyncio.run(fold_batch(batch, FakeUnitOfWork(store), lambda: NOW))


def test_a_batch_is_folded_once_with_its_positions_even_when_delivered_again() -> None:
    store = FakeStore()
    events = [Incoming("e-1", placed("o-1")), Incoming("e-2", refund(299, 299))]

    assert fold(store, events, 2) == 2
    assert fold(store, [*events, events[0]], 3) == 0

    assert [e.kind for e in store.entries] == ["order_placed", "order_refund"]
    assert [p.event.TYPE for p in store.publications] == [
        "ledger.order_posted",
        "ledger.order_reversed",
    ]
    assert store.orders[("shop-1", "o-1")].refunded == 299
    assert store.positions == {("orders", 0): 3}


def test_a_later_batch_folds_on_the_stored_order() -> None:
    store = FakeStore()
    fold(store, [Incoming("e-1", placed("o-1"))], 1)

    fold(store, [Incoming("e-2", refund(100, 100)), Incoming("e-3", refund(50, 150))], 3)

    assert store.orders[("shop-1", "o-1")].refunded == 150
    assert [e.details["refunded_after"] for e in store.entries[1:]] == [100, 150]


def test_a_batch_that_cannot_be_folded_changes_nothing() -> None:
    store = FakeStore()

    with pytest.raises(DuplicateOrderError):
        fold(store, [Incoming("e-1", placed("o-1")), Incoming("e-2", placed("o-1"))], 2)
    with pytest.raises(UnknownOrderError):
        fold(store, [Incoming("e-3", refund(1, 1))], 3)

    assert (store.handled, store.entries, store.orders, store.positions) == (set(), [], {}, {})
