"""Reading the fold's working state and writing its output, in few round trips per batch.

Every write is one multi-row statement (``unnest`` of column arrays, or ``COPY`` for the entries
and postings), so a batch of hundreds of events costs a handful of round trips whatever its size.
The postings of an entry are always written in one statement, which is what the database's
balance trigger checks.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from services.ledger.adapters.db.bulk_load import copy_rows, entry_rows, posting_rows
from services.ledger.adapters.db.tables import ledger_orders, ledger_payouts
from services.ledger.domain.journal import JournalEntry
from services.ledger.domain.outputs import FoldOutput
from services.ledger.domain.split import Split
from services.ledger.domain.state import (
    LedgerState,
    OrderKey,
    OrderState,
    PayoutState,
    split_of,
)
from shared.events.orders_v1 import OrderPlaced

_INSERT_ACCOUNTS = text(
    "INSERT INTO accounts (code, party_type, party_id, currency, sub_account) "
    "SELECT * FROM unnest(CAST(:code AS text[]), CAST(:party_type AS text[]), "
    "CAST(:party_id AS text[]), CAST(:currency AS text[]), CAST(:sub_account AS text[])) "
    "ON CONFLICT DO NOTHING"
)
_UPSERT_ORDERS = text(
    "INSERT INTO ledger_orders (shop_id, order_id, placed, refunded_total, cancelled, released, "
    "delivered_at, updated_at) "
    "SELECT shop_id, order_id, CAST(placed AS jsonb), refunded_total, cancelled, released, "
    "delivered_at, now() FROM unnest(CAST(:shop_id AS text[]), CAST(:order_id AS text[]), "
    "CAST(:placed AS text[]), CAST(:refunded_total AS bigint[]), CAST(:cancelled AS boolean[]), "
    "CAST(:released AS boolean[]), CAST(:delivered_at AS timestamptz[])) "
    "AS t(shop_id, order_id, placed, refunded_total, cancelled, released, delivered_at) "
    "ON CONFLICT (shop_id, order_id) DO UPDATE SET refunded_total = excluded.refunded_total, "
    "cancelled = excluded.cancelled, released = excluded.released, "
    "delivered_at = excluded.delivered_at, updated_at = now()"
)
_UPSERT_PAYOUTS = text(
    "INSERT INTO ledger_payouts (payout_id, party_type, party_id, currency, amount, status, "
    "updated_at) "
    "SELECT *, now() FROM unnest(CAST(:payout_id AS text[]), CAST(:party_type AS text[]), "
    "CAST(:party_id AS text[]), CAST(:currency AS text[]), CAST(:amount AS bigint[]), "
    "CAST(:status AS text[])) "
    "ON CONFLICT (payout_id) DO UPDATE SET status = excluded.status, updated_at = now()"
)


PLACED_CACHE_ORDERS = 10_000
"""Default size of the placement cache: ~6 KB per order, so ~60 MB at most."""


class PlacedCache:
    """Recently used orders' placement and split, by ``(shop_id, order_id)`` (both immutable
    once placed).

    Saves re-parsing the stored ``order.placed`` and recomputing the split for every later event
    of an order; bounded, least recently used first out. Safe to share between batches because
    nothing it holds ever changes.
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


async def load_state(
    conn: AsyncConnection,
    order_keys: Collection[OrderKey],
    payout_ids: Collection[str],
    cache: PlacedCache | None = None,
) -> LedgerState:
    """The orders and payouts a batch touches, locked until commit (in key order, no deadlock)."""
    cache = cache if cache is not None else PlacedCache()
    state = LedgerState()
    if order_keys:
        t = ledger_orders
        keys = sorted(order_keys)
        rows = (
            await conn.execute(
                select(t.c.shop_id, t.c.order_id, t.c.refunded_total, t.c.cancelled)
                .add_columns(t.c.released, t.c.delivered_at)
                .where(tuple_(t.c.shop_id, t.c.order_id).in_(keys))
                .order_by(t.c.shop_id, t.c.order_id)
                .with_for_update()
            )
        ).all()
        known = {
            (row.shop_id, row.order_id): cache.get((row.shop_id, row.order_id)) for row in rows
        }
        missing = [key for key, found in known.items() if found is None]
        if missing:
            stored_rows = await conn.execute(
                select(t.c.placed).where(tuple_(t.c.shop_id, t.c.order_id).in_(missing))
            )
            for stored in stored_rows.scalars():
                placed = _placed(stored)
                known[placed.order_key] = (placed, split_of(placed))
        for row in rows:
            key = (row.shop_id, row.order_id)
            placed, split = known[key] or _uncached(key)
            state.orders[key] = OrderState(
                placed=placed,
                split=split,
                refunded=row.refunded_total,
                cancelled=row.cancelled,
                released=row.released,
                delivered_at=row.delivered_at,
            )
    if payout_ids:
        rows = (
            await conn.execute(
                select(ledger_payouts)
                .where(ledger_payouts.c.payout_id.in_(sorted(payout_ids)))
                .order_by(ledger_payouts.c.payout_id)
                .with_for_update()
            )
        ).all()
        for row in rows:
            state.payouts[row.payout_id] = PayoutState(
                payout_id=row.payout_id,
                party_type=row.party_type,
                party_id=row.party_id,
                currency=row.currency,
                amount=row.amount,
                status=row.status,
            )
    return state


def _uncached(key: OrderKey) -> tuple[OrderPlaced, Split]:
    raise RuntimeError(f"placement of {key} vanished while loading it")


def _placed(stored: Any) -> OrderPlaced:
    return OrderPlaced.model_validate(json.loads(stored) if isinstance(stored, str) else stored)


async def write_output(
    conn: AsyncConnection, output: FoldOutput, state: LedgerState, recorded_at: datetime
) -> None:
    """Accounts, entries, postings and the touched projections of one fold, in one transaction."""
    if output.entries:
        await _write_entries(conn, output.entries, recorded_at)
    orders = [state.orders[key] for key in sorted(output.touched_orders)]
    if orders:
        await conn.execute(
            _UPSERT_ORDERS,
            {
                "shop_id": [o.placed.shop_id for o in orders],
                "order_id": [o.order_id for o in orders],
                "placed": [o.placed.model_dump_json() for o in orders],
                "refunded_total": [o.refunded for o in orders],
                "cancelled": [o.cancelled for o in orders],
                "released": [o.released for o in orders],
                "delivered_at": [o.delivered_at for o in orders],
            },
        )
    payouts = [state.payouts[payout_id] for payout_id in sorted(output.touched_payouts)]
    if payouts:
        await conn.execute(
            _UPSERT_PAYOUTS,
            {
                "payout_id": [p.payout_id for p in payouts],
                "party_type": [p.party_type for p in payouts],
                "party_id": [p.party_id for p in payouts],
                "currency": [p.currency for p in payouts],
                "amount": [p.amount for p in payouts],
                "status": [p.status for p in payouts],
            },
        )


async def _write_entries(
    conn: AsyncConnection, entries: list[JournalEntry], recorded_at: datetime
) -> None:
    """Accounts (new ones; concurrent folders may add the same), then the entries and their
    postings by ``COPY``: every entry is new (its event was just claimed), and each postings
    COPY holds whole entries, so the statement-level balance check sees complete entries."""
    accounts = sorted({p.account for entry in entries for p in entry.postings})
    await conn.execute(
        _INSERT_ACCOUNTS,
        {
            "code": [a.code for a in accounts],
            "party_type": [a.party_type for a in accounts],
            "party_id": [a.party_id for a in accounts],
            "currency": [a.currency for a in accounts],
            "sub_account": [a.sub_account for a in accounts],
        },
    )
    entry_ids = [e.entry_id for e in entries]  # a uuid5 each: computed once per entry
    await copy_rows(conn, "journal_entries", entry_rows(entries, entry_ids, recorded_at))
    await copy_rows(conn, "postings", posting_rows(entries, entry_ids))
