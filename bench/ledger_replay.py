"""Ledger replay throughput, both modes, on the local Kafka and PostgreSQL (not a test).

    .venv/bin/python bench/ledger_replay.py --orders 20000 --workers 2

Fills a fresh orders topic with the benchmark's order stream (``bench/ledger_fold.py``), replays
it in rebuild mode into a fresh database, then in verify mode against that database (which must
match), both as ``python -m services.ledger replay`` commands, and prints for each events/s (wall,
as the command measures it) and CPU microseconds per event of the command and its workers
(PostgreSQL's own CPU is not included). Quicker than ``ledger_fold.py``, which also measures the
live fold; the databases are dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ledger_fold import fill, measure_replay, replay_command
from services.ledger.process_tuning import tune_garbage_collector
from services.ledger.settings import LedgerSettings
from shared.kafka.topics import ensure_topics
from tests.support.infra import KAFKA_BOOTSTRAP, fresh_database, unique_name
from tests.support.ledger_db import migrate


async def main(orders: int, workers: int | None) -> dict[str, object]:
    topics = {name: unique_name(f"bench_{name}") for name in ("orders", "payouts", "ledger")}
    await ensure_topics(KAFKA_BOOTSTRAP, topics.values())
    events = await fill(topics["orders"], orders)
    async with fresh_database("ledger_bench_rebuild") as (url, _):
        await migrate(url)
        settings = LedgerSettings(
            database_url_override=url,
            topic_orders=topics["orders"],
            topic_payouts=topics["payouts"],
            topic_ledger=topics["ledger"],
        )
        rebuilt, rebuild_cpu_us = await measure_replay(
            lambda: replay_command(settings, "rebuild", workers), events
        )
        verified, verify_cpu_us = await measure_replay(
            lambda: replay_command(settings, "verify", workers), events
        )
    if not verified["matches"]:
        raise RuntimeError(f"replay verify disagrees with the rebuild: {verified}")
    return {
        "orders": orders,
        "events": events,
        "workers": workers or LedgerSettings().replay_workers,
        "replay_rebuild_seconds": rebuilt["seconds"],
        "replay_rebuild_events_per_second": rebuilt["records_per_second"],
        "replay_rebuild_cpu_us_per_event": round(rebuild_cpu_us),
        "replay_verify_seconds": verified["seconds"],
        "replay_verify_events_per_second": verified["records_per_second"],
        "replay_verify_cpu_us_per_event": round(verify_cpu_us),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=None, help="default: one per CPU")
    arguments = parser.parse_args()
    tune_garbage_collector()  # as `python -m services.ledger` does
    print(json.dumps(asyncio.run(main(arguments.orders, arguments.workers))))
