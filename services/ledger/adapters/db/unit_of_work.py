"""The ledger's unit of work: the shared one plus the journal, orders and payouts repositories
and the ``ledger.v1`` outbox, all on one transaction (``service.ports.LedgerUnitOfWork``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Self, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.ledger.adapters.db.journal_repository import JournalRepository
from services.ledger.adapters.db.order_repository import OrderRepository
from services.ledger.adapters.db.payout_repository import PayoutRepository
from services.ledger.adapters.db.placed_cache import PlacedCache
from services.ledger.adapters.db.tables import consumer_positions, outbox, processed_events
from services.ledger.adapters.publication_records import OutboxRows
from services.ledger.domain.outputs import Publication
from services.ledger.service.handlers import CONSUMER_NAME
from shared.db.outbox import locked_outbox_insert_sql
from shared.db.unit_of_work import InboxTables, NotInTransactionError, SqlUnitOfWork

_CONFLICT_SQLSTATES = frozenset({"40001", "40P01", "23505"})
"""serialization_failure, deadlock_detected, and unique_violation: two replicas (during a
rebalance) placing the same new order, which neither could lock before it existed; the retry
loads the one that committed and folds as if the two had come one after the other."""
_OUTBOX_INSERT = locked_outbox_insert_sql(outbox)
R = TypeVar("R")


class SqlLedgerUnitOfWork(SqlUnitOfWork):
    """One fold transaction; the placement cache outlives it (it is filled after commit)."""

    def __init__(self, engine: AsyncEngine, *, topic_ledger: str, cache: PlacedCache) -> None:
        super().__init__(
            engine,
            outbox=outbox,
            inbox=InboxTables(CONSUMER_NAME, processed_events, consumer_positions),
        )
        self._topic_ledger = topic_ledger
        self._cache = cache
        self._journal: JournalRepository | None = None
        self._orders: OrderRepository | None = None
        self._payouts: PayoutRepository | None = None

    @property
    def journal(self) -> JournalRepository:
        return _inside(self._journal)

    @property
    def orders(self) -> OrderRepository:
        return _inside(self._orders)

    @property
    def payouts(self) -> PayoutRepository:
        return _inside(self._payouts)

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self._journal = JournalRepository(self.connection)
        self._orders = OrderRepository(self.connection, self._cache)
        self._payouts = PayoutRepository(self.connection)
        return self

    async def publish(self, publications: Sequence[Publication], recorded_at: datetime) -> None:
        """Queue ``publications`` on the ledger topic, in order (one statement: the per-key
        advisory locks and the rows, as ``add_to_outbox`` would write them)."""
        if not publications:
            return
        rows = OutboxRows(publications, recorded_at)
        # Through SQLAlchemy (not the raw driver) so that a failure is a DBAPIError, which the
        # consume loop knows how to classify (transient outage, conflict to retry).
        await self.connection.exec_driver_sql(
            _OUTBOX_INSERT,
            (
                sorted({key.hex() for key in rows.keys}),
                self._topic_ledger,
                rows.keys,
                rows.values,
                rows.headers,
            ),
        )

    async def commit(self) -> None:
        await super().commit()
        self.orders.committed()


def _inside(repository: R | None) -> R:
    if repository is None:
        raise NotInTransactionError("use the unit of work inside 'async with'")
    return repository


def is_conflict(error: BaseException) -> bool:
    """A deadlock, serialization failure or unique violation with a concurrent transaction:
    retrying may pass."""
    cause = error.orig if isinstance(error, DBAPIError) else error  # raw driver errors too
    code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return code in _CONFLICT_SQLSTATES
