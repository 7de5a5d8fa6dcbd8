"""Replay, rebuild mode: the whole history of the input topics folded in memory, then bulk-loaded.

Wiring, like ``commands.py`` (it was ``service/replaying.py``; the service layer imports no
adapter): the live decoder (``service/decoding.py``), the pure fold (``domain/fold.py``), rows
and ``COPY`` (``adapters/db/bulk_load.py``), over worker processes.

A replay targets a fresh database that nothing else writes to, so the live fold's per-batch
work (dedupe query, locking and loading the touched orders, upserts) is not needed: the state of
every order and payout stays in memory, each event is folded alone by the pure ``fold``, and the
output goes to the database with ``COPY`` in chunks, all in ONE transaction (the replay leaves
either a complete ledger or nothing).

Outcome per record, as the live consumer would have had it folding the same records in the same
order: a repeated event id is folded once; a record that cannot be decoded or folded (what the
live ledger dead-letters) changes nothing, is not marked processed, and is returned to the
caller. The stored positions end after the last record of each partition.

With ``workers > 1`` the records are sharded by record key over worker processes (all events of
an order share its key, all events of a payout its payee's key, and the fold of one never reads
another's state), each shard is folded in its own process, and the rows are merged back into
record order before loading, so the database ends exactly as with one worker.
"""

from __future__ import annotations

import asyncio
import heapq
import multiprocessing
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from services.ledger.adapters.db.bulk_load import (
    BulkLoader,
    LoadRows,
    Row,
    order_row,
    payout_row,
    rows_of,
)
from services.ledger.adapters.db.tables import consumer_positions
from services.ledger.adapters.kafka.decoding import RecordDecoder
from services.ledger.domain.fold import fold
from services.ledger.domain.state import LedgerState
from services.ledger.process_tuning import tune_garbage_collector
from services.ledger.service.handlers import CONSUMER_NAME
from shared.db.inbox import save_positions
from shared.events import ledger_v1
from shared.events.payouts_v1 import PayoutCreated, PayoutFailed, PayoutPaid
from shared.kafka.consumer import ConsumedRecord, next_offsets

Report = Callable[[str, int], None]
"""``report(phase, n)``: ``n`` more records folded (``folded``) or loaded (``loaded``)."""
CHUNK_EVENTS = 20_000
"""Folded events per COPY round (bounds the size of one COPY)."""
MIN_RECORDS_PER_WORKER = 5_000
"""Below this many records per worker, starting worker processes costs more than it saves."""


@dataclass
class ReplayOutcome:
    folded: int = 0
    failed: list[ConsumedRecord] = field(default_factory=list)


@dataclass(frozen=True)
class Topics:
    orders: str
    payouts: str
    ledger: str


@dataclass
class ShardResult:
    """One shard's fold: per folded record (by index in the replay order) its rows, the indexes
    of the records that failed, and the shard's final projections."""

    folded: list[tuple[int, str, LoadRows]] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    orders: list[Row] = field(default_factory=list)
    payouts: list[Row] = field(default_factory=list)


_PAYOUT_EVENTS = (PayoutCreated, PayoutPaid, PayoutFailed)
K = TypeVar("K")
V = TypeVar("V")


def fold_shard(
    indexed: Sequence[tuple[int, ConsumedRecord]], topics: Topics, recorded_at: datetime
) -> ShardResult:
    """Fold records one at a time into a state kept in memory (pure CPU: runs in a worker)."""
    decode = RecordDecoder(topic_orders=topics.orders, topic_payouts=topics.payouts)
    state = LedgerState()
    seen: set[str] = set()
    result = ShardResult()
    for index, record in indexed:
        try:
            incoming = decode(record)
        except ValueError:
            result.failed.append(index)
            continue
        if incoming.event_id in seen:
            continue
        event = incoming.event
        payout_id = event.payout_id if isinstance(event, _PAYOUT_EVENTS) else None
        order_key = None if isinstance(event, _PAYOUT_EVENTS) else event.order_key
        payout = state.payouts.get(payout_id) if payout_id is not None else None
        order = state.orders.get(order_key) if order_key is not None else None
        try:
            output = fold(state, [incoming])
        except Exception:
            # Undo what the failed event may have stored (the states are immutable values).
            _put(state.payouts, payout_id, payout)
            _put(state.orders, order_key, order)
            result.failed.append(index)
            continue
        seen.add(incoming.event_id)
        publications = [
            ledger_v1.to_record(p.event, event_id=p.event_id, time=recorded_at)
            for p in output.publications
        ]
        rows = rows_of(
            consumer=CONSUMER_NAME,
            event_id=incoming.event_id,
            entries=output.entries,
            publications=publications,
            topic_ledger=topics.ledger,
            recorded_at=recorded_at,
        )
        result.folded.append((index, incoming.event_id, rows))
    result.orders = [order_row(o, recorded_at) for o in state.orders.values()]
    result.payouts = [payout_row(p, recorded_at) for p in state.payouts.values()]
    return result


def _put(table: dict[K, V], key: K | None, value: V | None) -> None:
    if key is None:
        return
    if value is None:
        table.pop(key, None)
    else:
        table[key] = value


def _shard_of(record: ConsumedRecord, workers: int) -> int:
    return zlib.crc32(record.key or b"") % workers


async def _fold_shards(
    records: Sequence[ConsumedRecord],
    topics: Topics,
    recorded_at: datetime,
    workers: int,
    progress: Report | None = None,
) -> list[ShardResult]:
    if workers == 1 or len(records) < workers * MIN_RECORDS_PER_WORKER:
        result = [fold_shard(list(enumerate(records)), topics, recorded_at)]
        if progress is not None:
            progress("folded", len(records))
        return result
    shards: list[list[tuple[int, ConsumedRecord]]] = [[] for _ in range(workers)]
    for index, record in enumerate(records):
        shards[_shard_of(record, workers)].append((index, record))
    loop = asyncio.get_running_loop()
    # "spawn": a fresh interpreter, nothing inherited from this process's threads and sockets.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=tune_garbage_collector
    ) as pool:
        futures = [
            loop.run_in_executor(pool, fold_shard, shard, topics, recorded_at) for shard in shards
        ]
        if progress is not None:
            for future, shard in zip(futures, shards, strict=True):
                future.add_done_callback(_count_folded(progress, len(shard)))
        return list(await asyncio.gather(*futures))


def _count_folded(progress: Report, records: int) -> Callable[[object], None]:
    def done(_: object) -> None:
        progress("folded", records)

    return done


async def replay_into(
    engine: AsyncEngine,
    records: Sequence[ConsumedRecord],
    decode: RecordDecoder,
    *,
    topic_ledger: str,
    clock: Callable[[], datetime],
    workers: int = 1,
    progress: Report | None = None,
) -> ReplayOutcome:
    """Fold ``records`` (already in replay order) into the fresh database behind ``engine``;
    ``progress("folded" | "loaded", n)`` counts records as they are folded and loaded."""
    topics = Topics(orders=decode.topic_orders, payouts=decode.topic_payouts, ledger=topic_ledger)
    recorded_at = clock()
    shards = await _fold_shards(records, topics, recorded_at, workers, progress)
    folded = list(heapq.merge(*(shard.folded for shard in shards), key=lambda f: f[0]))
    if len({event_id for _, event_id, _ in folded}) != len(folded):
        # One event id under two keys (so in two shards): only one fold sees both.
        shards = await _fold_shards(records, topics, recorded_at, 1)
        folded = shards[0].folded
    outcome = ReplayOutcome(
        folded=len(folded),
        failed=[records[i] for i in sorted(i for shard in shards for i in shard.failed)],
    )
    async with engine.begin() as conn:
        loader = BulkLoader(conn)
        loaded = 0  # records up to here are loaded, or skipped (failed or repeated)
        for start in range(0, len(folded), CHUNK_EVENTS):
            chunk = LoadRows()
            for _, _, rows in folded[start : start + CHUNK_EVENTS]:
                chunk.extend(rows)
            await loader.append(chunk)
            if progress is not None:
                last_index = folded[min(start + CHUNK_EVENTS, len(folded)) - 1][0]
                progress("loaded", last_index + 1 - loaded)
                loaded = last_index + 1
        await loader.projections(
            [row for shard in shards for row in shard.orders],
            [row for shard in shards for row in shard.payouts],
        )
        await save_positions(conn, consumer_positions, CONSUMER_NAME, next_offsets(records))
    if progress is not None:
        progress("loaded", len(records) - loaded)
    return outcome
