"""One shard of a verify replay, in a worker process (or in the caller's, for one shard).

Kept apart from ``replay_runner.py`` so that a worker process, started fresh ("spawn"), imports
only what it needs: the partition reader and the verify fold, not the database side.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.ledger.adapters.kafka.decoding import RecordDecoder
from services.ledger.adapters.kafka.partition_reader import PartitionRange, read_ranges
from services.ledger.process_tuning import tune_garbage_collector
from services.ledger.service.replay_order import replay_order
from services.ledger.service.replay_verify import BalanceFold, BalanceTotals

Report = Callable[[str, int], None]
"""``report(phase, n)``: ``n`` more records read (phase ``read``) or folded (``folded``)."""


@dataclass(frozen=True, slots=True)
class ShardJob:
    """The partitions one worker reads (from ``start`` to ``end``) and folds."""

    bootstrap_servers: str
    topic_orders: str
    topic_payouts: str
    ranges: tuple[PartitionRange, ...]


async def fold_shard(job: ShardJob, report: Report) -> BalanceTotals:
    """Read the job's partitions, sort them into replay order and fold them to balances."""
    records = await read_ranges(job.bootstrap_servers, job.ranges, lambda n: report("read", n))
    records.sort(key=replay_order)
    fold = BalanceFold(
        RecordDecoder(topic_orders=job.topic_orders, topic_payouts=job.topic_payouts)
    )
    return fold.add_all(records, lambda n: report("folded", n))


def run_shard(job: ShardJob, index: int, results: Any) -> None:
    """A worker process: fold one shard, send progress and the totals back on ``results``."""
    tune_garbage_collector()
    try:
        totals = asyncio.run(fold_shard(job, lambda phase, n: results.put((phase, index, n))))
        results.put(("result", index, totals))
    except BaseException:
        results.put(("error", index, traceback.format_exc()))
