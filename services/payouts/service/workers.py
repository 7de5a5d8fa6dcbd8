"""Background workers of the payouts service: the release scheduler, the daily payout run and the
hold gauges. Each runs until its `stop` event is set and survives database outages."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, time

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from services.payouts.adapters.db.holds_repository import count_by_status, due_backlog
from services.payouts.service.metrics import PayoutsMetrics
from services.payouts.service.payout_runs import PayoutRunner
from services.payouts.service.release import release_due_holds
from shared.logging import get_logger

log = get_logger(__name__)


async def pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def release_scheduler(
    stop: asyncio.Event,
    *,
    engine: AsyncEngine,
    outbox: Table,
    topic: str,
    batch_size: int,
    tick_s: float,
    metrics: PayoutsMetrics | None = None,
) -> None:
    """Release due holds batch after batch; sleep `tick_s` once a scan finds less than a batch.
    Safe to run in several replicas at once (see `release_due_holds`)."""
    while not stop.is_set():
        try:
            released = await release_due_holds(engine, outbox, topic, batch_size=batch_size)
        except Exception:
            log.exception("release_scan_failed")
            await pause(stop, max(tick_s, 1.0))
            continue
        if metrics is not None:
            metrics.record_releases(released)
        if released:
            log.info("holds_released", count=len(released))
        if len(released) < batch_size:
            await pause(stop, tick_s)


async def daily_payout_schedule(
    stop: asyncio.Event,
    *,
    runner: PayoutRunner,
    at: time,
    poll_s: float,
    clock: Callable[[], datetime],
) -> None:
    """From `at` (UTC) each day, run that day's payouts once; the run's unique day makes every
    other replica's (and every later tick's) attempt a no-op."""
    while not stop.is_set():
        now = clock()
        if now.time() >= at:
            try:
                run = await runner.run(trigger="schedule", scheduled_for=now.date())
                if run is not None:
                    log.info("scheduled_payout_run", run_id=run.run_id, payouts=len(run.payouts))
            except Exception:
                log.exception("scheduled_payout_run_failed")
        await pause(stop, poll_s)


async def hold_gauges(
    stop: asyncio.Event, *, engine: AsyncEngine, metrics: PayoutsMetrics, every_s: float
) -> None:
    while not stop.is_set():
        try:
            async with engine.connect() as conn:
                metrics.set_hold_counts(await count_by_status(conn))
                due, oldest_age = await due_backlog(conn)
            metrics.due_unreleased.set(due)
            metrics.oldest_due_age.set(oldest_age)
        except Exception as error:  # the database may be down; /readyz says so
            log.warning("hold_gauges_unavailable", error=str(error))
        await pause(stop, every_s)
