"""Running the replay's verify mode over worker processes, one group of partitions each.

Wiring (like ``commands.py``, a composition root): each worker reads its own partitions of the
orders and payouts topics (``adapters/kafka/partition_reader.py``), sorts them into replay order
and folds them to balances (``service/replay_verify.py``); the parent sums the shards and compares
the balances with the live database's (``adapters/db/live_balances.py``).

Sharding: a record's partition is the producer's hash of its key modulo the topic's partition
count, so when both topics have as many partitions, partition ``p`` of each holds the same keys,
and one key's records (an order's events on both topics, a payee's payouts) all land in one
worker, whose fold of them never reads another key's state. Folded event ids (and payout ids)
are checked disjoint across workers; if one is not, the whole replay is folded again in one
process, so the answer is always that of a single fold in replay order.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import queue as queues
import sys
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any, TextIO

from services.ledger.adapters.db.digest import digest_of
from services.ledger.adapters.db.live_balances import live_balances
from services.ledger.adapters.kafka.partition_reader import PartitionRange, partition_ranges
from services.ledger.replay_progress import Progress
from services.ledger.replay_worker import Report, ShardJob, fold_shard, run_shard
from services.ledger.service.replay_verify import BalanceTotals, balance_differences
from shared.db.engine import make_engine

SHOWN_DIFFERENCES = 50
"""Differing accounts listed in the result (all are counted)."""


def shard_ranges(
    ranges: Sequence[PartitionRange], workers: int
) -> list[tuple[PartitionRange, ...]]:
    """Partitions grouped by partition number modulo the number of groups, when every topic has
    as many partitions (see the module docstring); else one group.

    ``workers`` groups, except when the partitions outnumber the workers but not twice over
    (3 partitions, 2 workers): then one group per partition, so that the CPUs share the work
    evenly (two groups would be 2 partitions against 1, and the larger one sets the time)."""
    counts = set(Counter(r.topic for r in ranges).values())
    if workers <= 1 or len(counts) != 1:
        return [tuple(ranges)]
    partitions = counts.pop()
    groups = partitions if workers < partitions <= 2 * workers else min(workers, partitions)
    return [tuple(r for r in ranges if r.partition % groups == g) for g in range(groups)]


def _collect(results: Any, processes: list[Any], report: Report) -> list[BalanceTotals]:
    found: dict[int, BalanceTotals] = {}
    while len(found) < len(processes):
        try:
            kind, index, payload = results.get(timeout=1.0)
        except queues.Empty:
            dead = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"a replay worker died (exit codes {dead})") from None
            continue
        if kind == "result":
            found[index] = payload
        elif kind == "error":
            raise RuntimeError(f"replay worker {index} failed:\n{payload}")
        else:
            report(kind, payload)
    return [found[i] for i in range(len(processes))]


async def _fold_in_workers(jobs: Sequence[ShardJob], report: Report) -> list[BalanceTotals]:
    # "spawn": a fresh interpreter, nothing inherited from this process's threads and sockets.
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [
        context.Process(target=run_shard, args=(job, i, results), daemon=True)
        for i, job in enumerate(jobs)
    ]
    for process in processes:
        process.start()
    try:
        return await asyncio.to_thread(_collect, results, processes, report)
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()


def disjoint(shards: Sequence[BalanceTotals]) -> bool:
    """True when no event id and no payout id is in two shards (the shards' folds were then
    independent, and their sum is the single fold's answer)."""
    for attribute in ("event_ids", "payout_ids"):
        sets = [getattr(shard, attribute) for shard in shards]
        if sum(len(s) for s in sets) != len(set().union(*sets)):
            return False
    return True


async def verify_topics(
    bootstrap_servers: str,
    topic_orders: str,
    topic_payouts: str,
    *,
    workers: int,
    progress_out: TextIO | None = sys.stderr,
) -> tuple[BalanceTotals, int]:
    """Fold the topics from their beginning to their current end into balances, in ``workers``
    processes (one, in this process, when ``workers`` is 1 or the topics cannot be sharded);
    returns the totals and the number of records read."""
    ranges = await partition_ranges(bootstrap_servers, [topic_orders, topic_payouts])
    total = sum(r.size for r in ranges)
    progress = Progress("verify", total, ("read", "folded"), progress_out)
    groups = shard_ranges(ranges, workers)
    jobs = [ShardJob(bootstrap_servers, topic_orders, topic_payouts, group) for group in groups]
    if len(jobs) == 1:
        totals = await fold_shard(jobs[0], progress)
    else:
        shards = await _fold_in_workers(jobs, progress)
        if disjoint(shards):
            totals = BalanceTotals()
            for shard in shards:
                totals.merge(shard)
        else:  # an id under two keys: only one fold sees both
            progress = Progress("verify, one process", total, ("read", "folded"), progress_out)
            totals = await fold_shard(
                ShardJob(bootstrap_servers, topic_orders, topic_payouts, tuple(ranges)), progress
            )
    progress.show()
    return totals, total


async def verify_ledger(
    database_url: str,
    bootstrap_servers: str,
    topic_orders: str,
    topic_payouts: str,
    *,
    workers: int,
    progress_out: TextIO | None = sys.stderr,
) -> dict[str, Any]:
    """Replay in verify mode: fold the topics to balances (no writes anywhere) and compare them
    with the live ledger database's. ``result["matches"]`` is False when any account differs;
    ``differences`` lists the first of them (``differing_accounts`` counts them all). Like the
    digest comparison, it is meaningful while no new event arrives: the topics are read to
    their ends at the start, the database at the end."""
    started = time.perf_counter()
    totals, records = await verify_topics(
        bootstrap_servers, topic_orders, topic_payouts, workers=workers, progress_out=progress_out
    )
    seconds = time.perf_counter() - started
    engine = make_engine(database_url, application_name="ledger-replay-verify")
    try:
        live, live_entries = await live_balances(engine)
    finally:
        await engine.dispose()
    differences = balance_differences(totals.balances, live)
    return {
        "mode": "verify",
        "matches": not differences,
        "digest": digest_of(list(totals.balances.items())),
        "live_digest": digest_of(list(live.items())),
        "records": records,
        "events_folded": totals.folded,
        "entries": totals.entries,
        "live_entries": live_entries,
        "dead_letters": len(totals.failed),
        "differing_accounts": len(differences),
        "differences": [
            {"account": d.account, "replayed": d.replayed, "live": d.live}
            for d in differences[:SHOWN_DIFFERENCES]
        ],
        "seconds": round(seconds, 3),
        "records_per_second": round(records / seconds, 1) if seconds else None,
    }
