"""Ledger fold and replay throughput on the local Kafka and PostgreSQL (not a test).

    .venv/bin/python bench/ledger_fold.py --orders 20000

Fills a fresh orders topic with a realistic stream (about 2.4 events per order: placed, refunds,
cancellations, deliveries, across regions), folds it with the ledger's own consumer into a fresh
database, then replays it in verify mode against that database (in memory, no writes: balances
compared) and in rebuild mode into another fresh database, then folds it again with
``--processes`` ``python -m services.ledger fold`` processes in one consumer group (they share the
topic's partitions), and prints events/s for each, and the CPU time per event of this process
(the in-process fold) or of the replay command and its workers (the replays, run as
``python -m services.ledger replay --mode verify|rebuild``); PostgreSQL's own CPU is not
included. ``--replay-workers`` sets the replays' processes (default: one per CPU). The
in-process fold runs the consumer alone (the outbox relay is not started); the fold processes
run their relays too. Everything it creates is uniquely named; the databases are dropped at the
end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from services.ledger.adapters.db.tables import processed_events
from services.ledger.app import build_ledger
from services.ledger.process_tuning import tune_garbage_collector
from services.ledger.settings import LedgerSettings
from shared.db.engine import make_engine
from shared.kafka.producer import KafkaSender
from shared.kafka.topics import ensure_topics
from tests.support.infra import KAFKA_BOOTSTRAP, fresh_database, unique_name
from tests.support.ledger_db import migrate
from tests.support.ledger_events import OrderStream, envelope_record

ROOT = Path(__file__).resolve().parents[1]


async def fill(topic: str, orders: int) -> int:
    stream = OrderStream(seed=1).events(orders)
    sender = KafkaSender(KAFKA_BOOTSTRAP, client_id="ledger-bench")
    await sender.start()
    try:
        for start in range(0, len(stream), 2000):
            chunk = stream[start : start + 2000]
            await sender.send_batch([envelope_record(topic, sent) for sent in chunk])
    finally:
        await sender.stop()
    return len(stream)


async def measure_fold(
    settings: LedgerSettings, events: int, timeout_s: float
) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) to fold ``events``."""
    ledger = build_ledger(settings)
    consumer = ledger.runtime.workers[-1]  # the fold consumer only
    stop = asyncio.Event()
    started, cpu_started = time.perf_counter(), time.process_time()
    task = asyncio.create_task(consumer(stop))
    try:
        while time.perf_counter() - started < timeout_s:
            async with ledger.runtime.engine.connect() as conn:
                done = await conn.scalar(select(func.count()).select_from(processed_events))
            if done == events:
                return time.perf_counter() - started, time.process_time() - cpu_started
            await asyncio.sleep(0.05)
        raise TimeoutError(f"fold did not finish within {timeout_s}s")
    finally:
        stop.set()
        await task
        await ledger.runtime.engine.dispose()


async def measure_processes(
    settings: LedgerSettings, events: int, processes: int, timeout_s: float
) -> float:
    """Events/s of ``processes`` fold processes sharing the topic's partitions (one group),
    measured from the first folded event, so process start-up is not counted."""
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": settings.database_url,
        "TOPIC_ORDERS": settings.topic_orders,
        "TOPIC_PAYOUTS": settings.topic_payouts,
        "TOPIC_LEDGER": settings.topic_ledger,
        "LEDGER_CONSUMER_GROUP": settings.consumer_group,
        "LOG_LEVEL": "WARNING",
    }
    folders = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.ledger", "fold", cwd=ROOT, env=env
        )
        for _ in range(processes)
    ]
    engine = make_engine(settings.database_url)
    first: tuple[float, int] | None = None
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < timeout_s:
            async with engine.connect() as conn:
                done = int(
                    await conn.scalar(select(func.count()).select_from(processed_events)) or 0
                )
            now = time.perf_counter()
            if first is None and done:
                first = (now, done)
            if done == events and first is not None:
                return (events - first[1]) / (now - first[0])
            await asyncio.sleep(0.05)
        raise TimeoutError(f"fold did not finish within {timeout_s}s")
    finally:
        for folder in folders:
            folder.terminate()
        for folder in folders:
            await folder.wait()
        await engine.dispose()


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (the replay workers)."""
    own = time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own + children.ru_utime + children.ru_stime


async def replay_command(
    settings: LedgerSettings, mode: str, workers: int | None = None
) -> dict[str, Any]:
    """Run ``python -m services.ledger replay --mode MODE`` as an operator would (its worker
    processes then import only what they need); returns its result line. A verify that finds
    differences exits 1: its result is returned all the same."""
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": settings.database_url,
        "TOPIC_ORDERS": settings.topic_orders,
        "TOPIC_PAYOUTS": settings.topic_payouts,
        "TOPIC_LEDGER": settings.topic_ledger,
        "LOG_LEVEL": "WARNING",
    }
    if workers is not None:
        env["LEDGER_REPLAY_WORKERS"] = str(workers)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "services.ledger", "replay", "--mode", mode),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    lines = stdout.decode().splitlines()
    if not lines or process.returncode not in (0, 1 if mode == "verify" else 0):
        raise RuntimeError(f"replay --mode {mode} failed: {stderr.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


async def measure_replay(
    run: Callable[[], Awaitable[dict[str, Any]]], events: int
) -> tuple[dict[str, Any], float]:
    """The replay's result and the CPU microseconds per event of this process and its children
    (the replay command and its workers)."""
    started = cpu_seconds()
    result = await run()
    return result, (cpu_seconds() - started) / events * 1e6


async def main(
    orders: int, batch: int, processes: int, replay_workers: int | None = None
) -> dict[str, object]:
    topics = {name: unique_name(f"bench_{name}") for name in ("orders", "payouts", "ledger")}
    await ensure_topics(KAFKA_BOOTSTRAP, topics.values())
    events = await fill(topics["orders"], orders)
    async with (
        fresh_database("ledger_bench") as (live_url, _),
        fresh_database("ledger_bench_replay") as (replay_url, _),
        fresh_database("ledger_bench_parallel") as (parallel_url, _),
    ):
        for url in (live_url, replay_url, parallel_url):
            await migrate(url)
        live = LedgerSettings(
            database_url_override=live_url,
            consumer_group=unique_name("bench"),
            topic_orders=topics["orders"],
            topic_payouts=topics["payouts"],
            topic_ledger=topics["ledger"],
            fold_batch_size=batch,
        )
        fold_s, fold_cpu_s = await measure_fold(live, events, timeout_s=600)
        verified, verify_cpu_us = await measure_replay(
            lambda: replay_command(live, "verify", replay_workers), events
        )
        if not verified["matches"]:
            raise RuntimeError(f"replay verify disagrees with the live fold: {verified}")
        rebuild = live.model_copy(update={"database_url_override": replay_url})
        replayed, replay_cpu_us = await measure_replay(
            lambda: replay_command(rebuild, "rebuild", replay_workers), events
        )
        parallel = live.model_copy(
            update={"database_url_override": parallel_url, "consumer_group": unique_name("bench")}
        )
        parallel_rate = await measure_processes(parallel, events, processes, timeout_s=600)
    return {
        "orders": orders,
        "events": events,
        "batch": batch,
        "fold_seconds": round(fold_s, 2),
        "fold_events_per_second": round(events / fold_s),
        "fold_cpu_us_per_event": round(fold_cpu_s / events * 1e6),
        "replay_verify_seconds": verified["seconds"],
        "replay_verify_events_per_second": verified["records_per_second"],
        "replay_verify_cpu_us_per_event": round(verify_cpu_us),
        "replay_seconds": replayed["seconds"],
        "replay_events_per_second": replayed["records_per_second"],
        "replay_rebuild_events_per_second": replayed["records_per_second"],
        "replay_cpu_us_per_event": round(replay_cpu_us),
        "fold_processes": processes,
        "fold_processes_events_per_second": round(parallel_rate),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--processes", type=int, default=3, help="fold processes, one group")
    parser.add_argument("--replay-workers", type=int, default=None, help="default: CPUs")
    arguments = parser.parse_args()
    tune_garbage_collector()  # as `python -m services.ledger` does
    print(
        json.dumps(
            asyncio.run(
                main(
                    arguments.orders,
                    arguments.batch,
                    arguments.processes,
                    arguments.replay_workers,
                )
            )
        )
    )
