"""What an SRE sees in the hold metrics when holds are due but not yet released."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry

from services.payouts.adapters.db.holds_repository import insert_hold
from services.payouts.domain.holds import deliver
from services.payouts.service.metrics import PayoutsMetrics
from services.payouts.service.queries import PayoutsQueries
from services.payouts.service.workers import hold_gauges
from tests.support.holds import posted_hold
from tests.support.infra import wait_until
from tests.support.payouts import migrated_database, uow_factory


async def test_the_gauges_count_holds_by_status_and_show_the_oldest_overdue_hold() -> None:
    now = datetime.now(UTC)
    async with migrated_database() as (_, engine):
        async with engine.begin() as conn:
            await insert_hold(
                conn, deliver(posted_hold("overdue-1h"), now - timedelta(days=15, hours=1))
            )
            await insert_hold(conn, deliver(posted_hold("overdue-2d"), now - timedelta(days=17)))
            await insert_hold(conn, deliver(posted_hold("not-due"), now))
            await insert_hold(conn, posted_hold("undelivered"))
        registry = CollectorRegistry()
        stop = asyncio.Event()
        task = asyncio.create_task(
            hold_gauges(
                stop,
                queries=PayoutsQueries(uow_factory(engine)),
                metrics=PayoutsMetrics(registry),
                every_s=0.05,
            )
        )

        async def refreshed() -> bool:
            return registry.get_sample_value("payouts_due_unreleased_holds") == 2

        try:
            await wait_until(refreshed, timeout_s=10)
        finally:
            stop.set()
            await task
    oldest = registry.get_sample_value("payouts_oldest_due_unreleased_age_seconds") or 0
    assert 2 * 86_400 - 60 < oldest < 2 * 86_400 + 60
    assert registry.get_sample_value("payouts_holds", {"status": "holding"}) == 3
    assert registry.get_sample_value("payouts_holds", {"status": "awaiting_delivery"}) == 1
    assert registry.get_sample_value("payouts_holds", {"status": "released"}) == 0
