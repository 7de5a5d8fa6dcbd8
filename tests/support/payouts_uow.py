"""An in-memory `service.ports.UnitOfWork` for the payouts handlers' unit tests.

Transactional like the real one: entering takes a snapshot of the state, `commit()` keeps the
changes, leaving without it restores the snapshot. Only what the handlers use is implemented
(the payouts repository is left to the integration tests, which need real row locks).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Self, TypeVar

from services.payouts.domain.balances import Payee, PayeeBalance
from services.payouts.domain.holds import Hold, OrderKey
from services.payouts.service.ports import PayoutsRepository
from shared.db.outbox import RecordLike
from shared.service.unit_of_work import HasEventId, TopicPartition, only_new

M = TypeVar("M", bound=HasEventId)


@dataclass
class PayoutsState:
    """Everything the fake database holds."""

    holds: dict[OrderKey, Hold] = field(default_factory=dict)
    released_by_ledger: set[OrderKey] = field(default_factory=set)
    available: dict[Payee, int] = field(default_factory=dict)
    min_payouts: dict[Payee, int] = field(default_factory=dict)
    processed: set[str] = field(default_factory=set)
    positions: dict[TopicPartition, int] = field(default_factory=dict)
    outbox: list[tuple[str, RecordLike]] = field(default_factory=list)
    commits: int = 0


class FakeHolds:
    def __init__(self, state: PayoutsState, now: datetime) -> None:
        self._state, self._now = state, now

    async def lock(self, keys: set[OrderKey]) -> dict[OrderKey, Hold]:
        return {key: self._state.holds[key] for key in keys if key in self._state.holds}

    async def insert(self, holds: Sequence[Hold]) -> None:
        for hold in holds:
            if hold.key in self._state.holds:
                raise AssertionError(f"duplicate key {hold.key}")  # the primary key refuses it
            self._state.holds[hold.key] = hold

    async def save(self, holds: Sequence[Hold]) -> None:
        for hold in holds:
            assert hold.key in self._state.holds
            self._state.holds[hold.key] = hold

    async def mark_released_by_ledger(self, orders: set[OrderKey]) -> None:
        self._state.released_by_ledger |= orders

    async def claim_due(self, limit: int) -> list[Hold]:
        due = [
            h
            for h in self._state.holds.values()
            if h.status == "holding" and h.release_at is not None and h.release_at <= self._now
        ]
        return sorted(due, key=lambda h: (h.release_at or self._now, h.key))[:limit]

    async def mark_released(self, released: Sequence[Hold]) -> None:
        await self.save(released)

    async def of_order_id(self, order_id: str) -> list[Hold]:
        return [h for key, h in sorted(self._state.holds.items()) if key[1] == order_id]

    async def count_by_status(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for hold in self._state.holds.values():
            counts[hold.status] = counts.get(hold.status, 0) + 1
        return counts

    async def due_backlog(self) -> tuple[int, float]:
        due = await self.claim_due(len(self._state.holds))
        return len(due), 0.0

    async def pending_by_party(self) -> list[tuple[str, str, str, int]]:
        raise NotImplementedError("reconciliation is tested against PostgreSQL")


class FakeBalances:
    def __init__(self, state: PayoutsState) -> None:
        self._state = state

    async def add_to_available(
        self, changes: Mapping[Payee, int], *, min_payouts: Mapping[Payee, int] | None = None
    ) -> None:
        for payee, delta in changes.items():
            self._state.available[payee] = self._state.available.get(payee, 0) + delta
            self._state.min_payouts.setdefault(payee, 0)
        self._state.min_payouts.update(min_payouts or {})

    async def all_available(self) -> dict[Payee, int]:
        return dict(self._state.available)

    async def lock_payable(self) -> list[PayeeBalance]:
        return [
            PayeeBalance(payee, amount, self._state.min_payouts[payee])
            for payee, amount in sorted(self._state.available.items())
        ]


class FakeUnitOfWork:
    """See the module docstring; `now` is the fake database's clock."""

    def __init__(self, state: PayoutsState, now: datetime) -> None:
        self.state = state
        self.now = now
        self._snapshot: PayoutsState | None = None
        self.holds = FakeHolds(state, now)
        self.balances = FakeBalances(state)

    @property
    def payouts(self) -> PayoutsRepository:
        raise NotImplementedError("payout runs are tested against PostgreSQL")

    async def __aenter__(self) -> Self:
        assert self._snapshot is None, "a unit of work is entered once at a time"
        self._snapshot = copy.deepcopy(self.state)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        snapshot, self._snapshot = self._snapshot, None
        if snapshot is not None:  # not committed: roll back
            self.state.__dict__.update(snapshot.__dict__)

    async def commit(self) -> None:
        assert self._snapshot is not None, "commit outside 'async with'"
        self._snapshot = None
        self.state.commits += 1

    async def claim_new(self, messages: Sequence[M]) -> list[M]:
        new = {m.event_id for m in messages} - self.state.processed
        self.state.processed |= new
        return only_new(messages, new)

    async def save_positions(self, next_offsets: Mapping[TopicPartition, int]) -> None:
        self.state.positions.update(next_offsets)

    async def stored_positions(self) -> dict[TopicPartition, int]:
        return dict(self.state.positions)

    async def add_to_outbox(self, topic: str, records: Sequence[RecordLike]) -> None:
        self.state.outbox += [(topic, record) for record in records]

    async def database_now(self) -> datetime:
        return self.now
