"""How fast racing release schedulers drain due holds, on real PostgreSQL.

    .venv/bin/python -m tests.load.payouts_release_throughput --holds 10000 --replicas 3

Creates a fresh database (nothing shared is touched), inserts `--holds` due holds, runs
`--replicas` release schedulers (each with its own engine) until none is left, and prints the
releases per second and how the work was shared. The outbox is left unpublished (only the
database side is measured). Bounded: gives up after `--timeout` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry
from sqlalchemy import func, insert, select

from services.payouts.adapters.db.tables import holds
from services.payouts.app import unit_of_work_factory
from services.payouts.service.metrics import PayoutsMetrics
from services.payouts.service.workers import release_scheduler
from shared.db.engine import make_engine
from tests.support.payouts import migrated_database


async def measure(hold_count: int, replica_count: int, batch_size: int, timeout_s: float) -> None:
    delivered_at = datetime.now(UTC) - timedelta(days=30)
    rows = [
        {
            "order_id": f"o-{n}",
            "shop_id": "shop-1",
            "region": "UK",
            "currency": "GBP",
            "after_sales_window_days": 14,
            "release_rule": "next_day",
            "min_payout": 1_000,
            "status": "holding",
            "amounts": [{"party_type": "creator", "party_id": f"c-{n % 100}", "amount": 100}],
            "delivered_at": delivered_at,
            "release_at": delivered_at + timedelta(days=15),
        }
        for n in range(hold_count)
    ]
    async with migrated_database() as (url, engine):
        async with engine.begin() as conn:
            await conn.execute(insert(holds), rows)
        replicas = [make_engine(url, pool_size=2) for _ in range(replica_count)]
        registries = [CollectorRegistry() for _ in range(replica_count)]
        stop = asyncio.Event()
        started = time.monotonic()
        tasks = [
            asyncio.create_task(
                release_scheduler(
                    stop,
                    new_uow=unit_of_work_factory(replica, "throughput"),
                    topic="payouts.v1.throughput",
                    batch_size=batch_size,
                    tick_s=0.01,
                    metrics=PayoutsMetrics(registry),
                )
            )
            for replica, registry in zip(replicas, registries, strict=True)
        ]
        left = hold_count
        while left and time.monotonic() - started < timeout_s:
            await asyncio.sleep(0.05)
            async with engine.connect() as conn:
                left = int(
                    await conn.scalar(
                        select(func.count()).select_from(holds).where(holds.c.status == "holding")
                    )
                    or 0
                )
        elapsed = time.monotonic() - started
        stop.set()
        await asyncio.gather(*tasks)
        for replica in replicas:
            await replica.dispose()
    shares = [int(r.get_sample_value("payouts_releases_total") or 0) for r in registries]
    print(
        f"released {sum(shares)} of {hold_count} holds in {elapsed:.2f}s "
        f"({sum(shares) / elapsed:.0f}/s) with {replica_count} replicas, batch {batch_size}; "
        f"per replica {shares}; left {left}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--holds", type=int, default=10_000)
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    asyncio.run(measure(args.holds, args.replicas, args.batch, args.timeout))


if __name__ == "__main__":
    main()
