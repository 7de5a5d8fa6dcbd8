"""Bulk writes with PostgreSQL ``COPY``: whole replays into a fresh ledger database, and the
entries and postings of each live batch.

``BulkLoader`` is only for a database that holds no journal yet and that nothing else writes to
during the load: COPY cannot skip duplicates, so every row must be new (a duplicate fails the
whole load, which runs in the caller's transaction). The journal's triggers still run: each
postings COPY holds whole entries, so the statement-level balance check sees complete entries,
and the deferred check of every entry runs at commit. The live fold uses ``copy_rows`` for the
entries and postings of events it has just claimed, which are new by construction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.ledger.adapters.db.copy import copy_records
from services.ledger.domain.journal import JournalEntry
from services.ledger.domain.state import OrderState, PayoutState
from shared.db.outbox import RecordLike

Row = tuple[Any, ...]


@dataclass(slots=True)
class LoadRows:
    """Rows for the tables of one load step, in the order they are to be written; built by
    ``rows_of`` (anywhere, e.g. in a worker process: they are plain tuples)."""

    accounts: list[Row] = field(default_factory=list)
    entries: list[Row] = field(default_factory=list)
    postings: list[Row] = field(default_factory=list)
    processed: list[Row] = field(default_factory=list)
    outbox: list[Row] = field(default_factory=list)

    def extend(self, other: LoadRows) -> None:
        self.accounts += other.accounts
        self.entries += other.entries
        self.postings += other.postings
        self.processed += other.processed
        self.outbox += other.outbox


def rows_of(
    *,
    consumer: str,
    event_id: str,
    entries: Sequence[JournalEntry],
    publications: Sequence[RecordLike],
    topic_ledger: str,
    recorded_at: datetime,
) -> LoadRows:
    """What folding one event adds: its entries and their accounts (maybe known already: the
    loader writes each account once), postings, dedupe marker and outbox rows."""
    entry_ids = [entry.entry_id for entry in entries]
    return LoadRows(
        accounts=[
            (a.code, a.party_type, a.party_id, a.currency, a.sub_account)
            for a in {p.account for e in entries for p in e.postings}
        ],
        entries=entry_rows(entries, entry_ids, recorded_at),
        postings=posting_rows(entries, entry_ids),
        processed=[(consumer, event_id)],
        outbox=[
            (
                topic_ledger,
                record.key,
                record.value,
                json.dumps([[name, value.decode()] for name, value in record.headers]),
            )
            for record in publications
        ],
    )


def order_row(order: OrderState, now: datetime) -> Row:
    return (
        order.placed.shop_id,
        order.order_id,
        order.placed.model_dump_json(),
        order.refunded,
        order.cancelled,
        order.released,
        order.delivered_at,
        now,
    )


def payout_row(payout: PayoutState, now: datetime) -> Row:
    p = payout
    return (p.payout_id, p.party_type, p.party_id, p.currency, p.amount, p.status, now)


class BulkLoader:
    """Appends rows to a fresh database through one connection (inside its transaction);
    remembers the accounts it created so each is written once."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._accounts: set[str] = set()
        self._in_transaction = False

    async def append(self, rows: LoadRows) -> None:
        """Accounts not written yet, then entries, postings, dedupe markers and outbox rows."""
        accounts = {row[0]: row for row in rows.accounts if row[0] not in self._accounts}
        await self._copy("accounts", [accounts[code] for code in sorted(accounts)])
        self._accounts.update(accounts)
        await self._copy("journal_entries", rows.entries)
        await self._copy("postings", rows.postings)
        await self._copy("processed_events", rows.processed)
        await self._copy("outbox", rows.outbox, columns=("topic", "key", "value", "headers"))

    async def projections(self, orders: list[Row], payouts: list[Row]) -> None:
        """The final per-order and per-payout state (``order_row`` / ``payout_row``), once."""
        await self._copy("ledger_orders", orders)
        await self._copy("ledger_payouts", payouts)

    async def _copy(
        self, table: str, rows: list[Row], columns: Sequence[str] | None = None
    ) -> None:
        if not rows:
            return
        if not self._in_transaction:
            # The driver opens the caller's transaction lazily, on the first statement it runs;
            # a COPY sent before that would commit on its own (and run the deferred checks).
            await self._conn.exec_driver_sql("SET CONSTRAINTS ALL DEFERRED")
            self._in_transaction = True
        await copy_rows(self._conn, table, rows, columns)


async def copy_rows(
    conn: AsyncConnection, table: str, rows: list[Row], columns: Sequence[str] | None = None
) -> None:
    """``COPY`` the rows into the table, its columns as ``COPY_COLUMNS`` lists them unless
    given (``copy_records``: in the transaction ``conn`` has open)."""
    await copy_records(conn, table, columns or COPY_COLUMNS[table], rows)


COPY_COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("code", "party_type", "party_id", "currency", "sub_account"),
    "journal_entries": (
        "id",
        "event_id",
        "order_id",
        "shop_id",
        "kind",
        "currency",
        "occurred_at",
        "rule_version",
        "details",
        "recorded_at",
    ),
    "postings": (
        "entry_id",
        "line_no",
        "account",
        "currency",
        "amount",
        "leg",
        "plan_id",
        "rate_bps",
        "occurred_at",
    ),
    "processed_events": ("consumer", "event_id"),
    "ledger_orders": (
        "shop_id",
        "order_id",
        "placed",
        "refunded_total",
        "cancelled",
        "released",
        "delivered_at",
        "updated_at",
    ),
    "ledger_payouts": (
        "payout_id",
        "party_type",
        "party_id",
        "currency",
        "amount",
        "status",
        "updated_at",
    ),
}


def entry_rows(
    entries: Sequence[JournalEntry], entry_ids: Sequence[object], recorded_at: datetime
) -> list[tuple[Any, ...]]:
    return [
        (
            entry_id,
            e.event_id,
            e.order_id,
            e.shop_id,
            e.kind,
            e.currency,
            e.occurred_at,
            e.rule_version,
            json.dumps(e.details, sort_keys=True),
            recorded_at,
        )
        for entry_id, e in zip(entry_ids, entries, strict=True)
    ]


def posting_rows(
    entries: Sequence[JournalEntry], entry_ids: Sequence[object]
) -> list[tuple[Any, ...]]:
    return [
        (
            entry_id,
            line_no,
            p.account.code,
            p.account.currency,
            p.amount,
            p.leg,
            p.plan_id,
            p.rate_bps,
            e.occurred_at,
        )
        for entry_id, e in zip(entry_ids, entries, strict=True)
        for line_no, p in enumerate(e.postings, start=1)
    ]
