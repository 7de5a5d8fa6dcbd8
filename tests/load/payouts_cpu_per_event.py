"""CPU the payouts service's Python spends per ledger.v1 event, on real PostgreSQL.

    .venv/bin/python -m tests.load.payouts_cpu_per_event --orders 3000 --batch 500

Makes `--orders` orders' ledger.v1 records (order_posted, order_delivered, order_released: three
events per order, three payees each, one shop per 50 orders), then measures with
`time.process_time` (this process's CPU, user + system; not wall clock, which the other work on
the box distorts):
- decode: turning each record into its event, the consumer's first step (batch by batch, each
  dropped after, as the consumer does: the garbage collector's work grows with what is kept
  alive; decoding all 9,000 records into one list costs ~10 us more per event, old or new);
- handle: the whole ledger consumer handler (decode, inbox claim, holds and balances written,
  positions) against a fresh migrated database, in batches of `--batch`.
With `--postgres-pid` (the postmaster of a PostgreSQL cluster nobody else uses, e.g. the first
line of `$SETTLEMENT_STATE_DIR/postgres/data/postmaster.pid`), PostgreSQL's CPU during the
handling is reported too: its processes' user + system time from /proc, the exited backends'
included through the postmaster's children totals. Best of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from services.payouts.adapters.kafka.ledger_consumer import LedgerBatchConsumer, decode_batch
from services.payouts.app import unit_of_work_factory
from shared.events import ledger_v1
from shared.events.common import Leg
from shared.events.terms import ReleaseTerms
from shared.kafka.consumer import ConsumedRecord
from tests.support.payouts import migrated_database

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def ledger_records(orders: int) -> list[ConsumedRecord]:
    """Three records per order, in business order, on one partition."""
    events: list[ledger_v1.LedgerEvent] = []
    for n in range(orders):
        shop, order = f"shop-{n // 50}", f"o-{n}"
        legs = [
            Leg(party_type="merchant", party_id=shop, amount=3_000),
            Leg(party_type="creator", party_id=f"c-{n % 97}", amount=800),
            Leg(party_type="platform", party_id="platform-UK", amount=499),
        ]
        events += [
            ledger_v1.LedgerOrderPosted(
                order_id=order,
                shop_id=shop,
                region="UK",
                currency="GBP",
                occurred_at=T0,
                paid_total=4_299,
                legs=legs,
                release_terms=ReleaseTerms(
                    after_sales_window_days=14, release_rule="next_day", min_payout=1_000
                ),
            ),
            ledger_v1.LedgerOrderDelivered(
                order_id=order, shop_id=shop, currency="GBP", delivered_at=T0 + timedelta(days=1)
            ),
            ledger_v1.LedgerOrderReleased(
                order_id=order,
                shop_id=shop,
                currency="GBP",
                released_at=T0 + timedelta(days=16),
                legs=legs,
            ),
        ]
    records = []
    for offset, event in enumerate(events):
        record = ledger_v1.to_record(event, event_id=str(uuid.uuid4()), time=T0)
        records.append(
            ConsumedRecord(
                "ledger.v1", 0, offset, record.key, record.value, tuple(record.headers), 0
            )
        )
    return records


def postgres_cpu_s(postmaster: int | None) -> float:
    """CPU seconds used so far by the cluster of `postmaster`: its own, its reaped children's,
    and its live children's (backends and background workers); 0 without a pid."""
    if postmaster is None:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")

    def fields(pid: int) -> list[str]:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()

    own = fields(postmaster)
    total = sum(int(value) for value in own[11:15])  # utime stime cutime cstime
    for pid in (int(name) for name in os.listdir("/proc") if name.isdigit()):
        try:
            child = fields(pid)
        except OSError:
            continue  # exited meanwhile
        if int(child[1]) == postmaster:  # ppid
            total += int(child[11]) + int(child[12])
    return total / ticks


def cpu_us_per_event(work: Callable[[], object], events: int) -> float:
    started = time.process_time()
    work()
    return (time.process_time() - started) / events * 1e6


async def handle_all(
    records: list[ConsumedRecord], batch: int, postmaster: int | None
) -> tuple[float, float]:
    """CPU microseconds per event of the whole handler, in a fresh database: (this process,
    PostgreSQL)."""
    async with migrated_database() as (_, engine):
        consumer = LedgerBatchConsumer(unit_of_work_factory(engine, "cpu-bench"))
        started, postgres_started = time.process_time(), postgres_cpu_s(postmaster)
        for start in range(0, len(records), batch):
            await consumer.handle(records[start : start + batch])
        client = time.process_time() - started
        postgres = postgres_cpu_s(postmaster) - postgres_started
        return client / len(records) * 1e6, postgres / len(records) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=3_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres-pid", type=int, default=None)
    args = parser.parse_args()
    records = ledger_records(args.orders)
    batches = [records[n : n + args.batch] for n in range(0, len(records), args.batch)]

    def decode_each_batch() -> None:
        for batch in batches:
            decode_batch(batch)  # dropped, as the consumer drops a handled batch

    decode = min(cpu_us_per_event(decode_each_batch, len(records)) for _ in range(args.repeat))
    handle, postgres = min(
        asyncio.run(handle_all(records, args.batch, args.postgres_pid)) for _ in range(args.repeat)
    )
    print(f"events: {len(records)}  batch: {args.batch}  (CPU time of this process)")
    print(f"decode: {decode:7.1f} us/event")
    print(f"handle: {handle:7.1f} us/event (decode + handler + SQLAlchemy/asyncpg client side)")
    if args.postgres_pid is not None:
        print(f"postgres: {postgres:5.1f} us/event (during the best handle run)")


if __name__ == "__main__":
    main()
