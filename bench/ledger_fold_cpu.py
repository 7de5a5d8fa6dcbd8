"""CPU cost per event of the ledger's fold and replay, without Kafka (not a test).

    .venv/bin/python bench/ledger_fold_cpu.py --orders 4000 [--profile]

Builds the bench's order stream as consumed records in memory, folds it batch by batch with the
ledger's fold consumer (decode + ``fold_batch``) into a fresh database, then replays it with
``replay_into`` into another (``--replay-workers`` fold processes, 1 by default), and prints wall
time, events/s and this process's CPU time per event for each (the difference between wall and
CPU is mostly waiting for PostgreSQL, or for the replay's worker processes). ``--profile`` prints
a pyinstrument profile of each (``pip install pyinstrument`` first; not a dependency).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.ledger.adapters.kafka.decoding import RecordDecoder
from services.ledger.app import build_fold_consumer
from services.ledger.process_tuning import tune_garbage_collector
from services.ledger.replay_rebuild import replay_into
from shared.service.clock import utc_now
from tests.support.infra import fresh_database
from tests.support.ledger_db import LEDGER, ORDERS, PAYOUTS, migrate
from tests.support.ledger_events import OrderStream, as_record


async def measure(
    name: str, events: int, run: Callable[[], Awaitable[None]], profile: bool
) -> dict[str, Any]:
    profiler: Any = None
    if profile:
        from pyinstrument import Profiler  # type: ignore[import-not-found,unused-ignore]

        profiler = Profiler(async_mode="enabled")
        profiler.start()
    wall, cpu = time.perf_counter(), time.process_time()
    await run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False), file=sys.stderr)
    return {
        f"{name}_seconds": round(wall, 2),
        f"{name}_events_per_second": round(events / wall),
        f"{name}_cpu_us_per_event": round(cpu / events * 1e6),
    }


async def main(orders: int, batch: int, workers: int, profile: bool) -> dict[str, Any]:
    stream = OrderStream(seed=1).events(orders)
    records = [as_record(ORDERS, sent, offset) for offset, sent in enumerate(stream)]
    decoder = RecordDecoder(topic_orders=ORDERS, topic_payouts=PAYOUTS)
    result: dict[str, Any] = {"events": len(records), "batch": batch, "replay_workers": workers}
    async with (
        fresh_database("ledger_cpu_fold") as (fold_url, fold_engine),
        fresh_database("ledger_cpu_replay") as (replay_url, replay_engine),
    ):
        await migrate(fold_url)
        await migrate(replay_url)
        folder = build_fold_consumer(fold_engine, decoder, topic_ledger=LEDGER, clock=utc_now)

        async def fold() -> None:
            for start in range(0, len(records), batch):
                await folder.handle(records[start : start + batch])

        async def replay() -> None:
            await replay_into(
                replay_engine, records, decoder, topic_ledger=LEDGER, clock=utc_now, workers=workers
            )

        result |= await measure("fold", len(records), fold, profile)
        result |= await measure("replay", len(records), replay, profile)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=4_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--replay-workers", type=int, default=1, help="replay fold processes")
    parser.add_argument("--profile", action="store_true")
    arguments = parser.parse_args()
    tune_garbage_collector()  # as `python -m services.ledger` does
    print(
        json.dumps(
            asyncio.run(
                main(arguments.orders, arguments.batch, arguments.replay_workers, arguments.profile)
            )
        )
    )
