"""What the pipeline holds, read without the services' help: topic ends and contents, outboxes,
the consumers' stored positions; and quiescence (everything published, folded and released)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from bench.chaos.infra import PrivateInfra
from bench.chaos.stack import PARTITIONS, TOPICS

CONSUMED = {"ledger": (TOPICS["orders"], TOPICS["payouts"]), "payouts": (TOPICS["ledger"],)}
"""The topics each consuming service folds (its positions live in its own database)."""
QUIET_POLLS = 3
POLL_S = 0.5


@dataclass(frozen=True)
class TopicEvent:
    event_id: str
    event_type: str
    partition: int
    offset: int
    order: tuple[str, str] | None = None  # (shop_id, order_id) of an order's event


async def _consumer(bootstrap: str) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        request_timeout_ms=10_000,
    )
    await asyncio.wait_for(consumer.start(), 20)
    return consumer


async def end_offsets(bootstrap: str, topics: list[str]) -> dict[tuple[str, int], int]:
    consumer = await _consumer(bootstrap)
    try:
        partitions = [TopicPartition(t, p) for t in topics for p in range(PARTITIONS)]
        ends = await asyncio.wait_for(consumer.end_offsets(partitions), 20)
    finally:
        await asyncio.wait_for(consumer.stop(), 10)
    return {(tp.topic, tp.partition): offset for tp, offset in ends.items()}


async def read_topic(bootstrap: str, topic: str, timeout_s: float = 60) -> list[TopicEvent]:
    """Every record of `topic` from the beginning to its end now (bounded by `timeout_s`)."""
    consumer = await _consumer(bootstrap)
    events: list[TopicEvent] = []
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        left = {tp for tp in partitions if ends[tp] > 0}
        deadline = time.monotonic() + timeout_s
        while left and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            for tp, records in batches.items():
                for record in records:
                    headers = {k: v.decode() for k, v in record.headers}
                    data = json.loads(record.value)
                    order = (
                        (data["shop_id"], data["order_id"])
                        if "shop_id" in data and "order_id" in data
                        else None
                    )
                    events.append(
                        TopicEvent(
                            headers.get("ce_id", ""),
                            headers.get("ce_type", ""),
                            record.partition,
                            record.offset,
                            order,
                        )
                    )
                if await consumer.position(tp) >= ends[tp]:
                    left.discard(tp)
        if left:
            raise TimeoutError(f"{topic}: not read to its end within {timeout_s}s")
    finally:
        await asyncio.wait_for(consumer.stop(), 10)
    return events


async def fetch(
    infra: PrivateInfra, database: str, query: str, *args: object
) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(infra.database_dsn(database), timeout=10)
    try:
        rows: list[asyncpg.Record] = await conn.fetch(query, *args, timeout=60)
        return rows
    finally:
        await conn.close()


async def snapshot(infra: PrivateInfra) -> dict[str, int]:
    """Unpublished outbox rows, consumer lag, due holds not released, and row counts."""
    ends = await end_offsets(infra.bootstrap, list(TOPICS.values()))
    figures: dict[str, int] = {}
    for service in ("orders", "ledger", "payouts"):
        (row,) = await fetch(
            infra, service, "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        )
        figures[f"{service}_outbox_unpublished"] = row[0]
    for service, topics in CONSUMED.items():
        rows = await fetch(
            infra, service, "SELECT topic, partition, next_offset FROM consumer_positions"
        )
        stored = {(r["topic"], r["partition"]): r["next_offset"] for r in rows}
        figures[f"{service}_lag"] = sum(
            max(0, ends[(t, p)] - stored.get((t, p), 0)) for t in topics for p in range(PARTITIONS)
        )
    (due,) = await fetch(
        infra,
        "payouts",
        # Also the holds due in a moment: a release during the checks would race them.
        "SELECT count(*) FROM holds WHERE status = 'holding' "
        "AND release_at <= now() + interval '30 seconds'",
    )
    figures["payouts_due_unreleased"] = due[0]
    (unfinished,) = await fetch(
        infra, "payouts", "SELECT count(*) FROM payouts WHERE status = 'created'"
    )
    figures["payouts_unfinished"] = unfinished[0]
    (entries,) = await fetch(infra, "ledger", "SELECT count(*) FROM journal_entries")
    figures["ledger_entries"] = entries[0]
    figures.update(
        {f"end_{t}": sum(ends[(t, p)] for p in range(PARTITIONS)) for t in TOPICS.values()}
    )
    return figures


def _settled(figures: dict[str, int]) -> bool:
    return all(
        figures[key] == 0
        for key in (
            "orders_outbox_unpublished",
            "ledger_outbox_unpublished",
            "payouts_outbox_unpublished",
            "ledger_lag",
            "payouts_lag",
            "payouts_due_unreleased",
            "payouts_unfinished",
        )
    )


async def quiesce(infra: PrivateInfra, timeout_s: float) -> tuple[bool, dict[str, int], float]:
    """Wait until nothing is left to publish, fold or release and the counts stay the same for
    a few polls: (quiescent, last figures, seconds waited). Bounded by `timeout_s`."""
    started = time.monotonic()
    quiet = 0
    previous: dict[str, int] = {}
    figures: dict[str, int] = {}
    while time.monotonic() - started < timeout_s:
        try:
            figures = await snapshot(infra)
        except (OSError, asyncpg.PostgresError, TimeoutError, KeyError):
            quiet = 0  # an engine still coming back
            await asyncio.sleep(1)
            continue
        quiet = quiet + 1 if _settled(figures) and figures == previous else 0
        if quiet >= QUIET_POLLS:
            return True, figures, time.monotonic() - started
        previous = figures
        await asyncio.sleep(POLL_S)
    return False, figures, time.monotonic() - started
