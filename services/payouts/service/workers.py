"""Background workers of the payouts service: the release scheduler, the daily payout run, the
payout retries, the hold and payout gauges and the periodic reconciliation. Each runs until its
`stop` event is set and survives database (and ledger) outages."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, time

from services.payouts.service.metrics import PayoutsMetrics
from services.payouts.service.payout_runs import PayoutRunner
from services.payouts.service.ports import UnitOfWorkFactory
from services.payouts.service.queries import PayoutsQueries
from services.payouts.service.reconciliation import Reconciler
from services.payouts.service.release import release_due_holds
from shared.logging import get_logger
from shared.stopping import pause

log = get_logger(__name__)


async def release_scheduler(
    stop: asyncio.Event,
    *,
    new_uow: UnitOfWorkFactory,
    topic: str,
    batch_size: int,
    tick_s: float,
    metrics: PayoutsMetrics | None = None,
) -> None:
    """Release due holds batch after batch; sleep `tick_s` once a scan finds less than a batch.
    Safe to run in several replicas at once (see `release_due_holds`)."""
    while not stop.is_set():
        try:
            released = await release_due_holds(new_uow(), topic, batch_size=batch_size)
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


async def payout_retries(
    stop: asyncio.Event, *, runner: PayoutRunner, tick_s: float, batch_size: int = 100
) -> None:
    """Every `tick_s`, ask the provider again about the unsettled payouts whose backoff has
    passed, with the same payout ids, until it answers definitely. Safe in several replicas at
    once (see `PayoutRunner.settle_due`); a call under way when `stop` is set finishes (it is
    bounded by the provider timeout), the rest wait for the next start."""
    while not stop.is_set():
        try:
            await runner.settle_due(batch_size, stop)
        except Exception:
            log.exception("payout_retries_failed")
        await pause(stop, tick_s)


async def hold_gauges(
    stop: asyncio.Event, *, queries: PayoutsQueries, metrics: PayoutsMetrics, every_s: float
) -> None:
    """The hold gauges, and the unsettled payouts with the age of the oldest."""
    while not stop.is_set():
        try:
            metrics.set_backlog(await queries.backlog())
        except Exception as error:  # the database may be down; /readyz says so
            log.warning("hold_gauges_unavailable", error=str(error))
        await pause(stop, every_s)


async def periodic_reconciliation(
    stop: asyncio.Event, *, reconciler: Reconciler, every_s: float
) -> None:
    """Reconcile every `every_s` (the first one after `every_s`, so a starting service has caught
    up first); the reconciler updates the gauges, this logs what it found. A reconciliation
    under way when `stop` is set is abandoned, so a slow ledger never holds up a shutdown."""
    await pause(stop, every_s)
    while not stop.is_set():
        running = asyncio.ensure_future(reconciler.reconcile())
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not running.done():
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await running
            return
        if running.exception() is not None:  # the ledger or the database may be down
            log.warning("reconciliation_failed", error=str(running.exception()))
        elif not (found := running.result()).agrees:
            log.warning(
                "reconciliation_differences",
                balances=len(found.balances),
                payouts=len(found.payouts),
                first_balances=[
                    f"{d.account.party_type}/{d.account.party_id}/{d.account.currency}"
                    for d in found.balances[:5]
                ],
                first_payouts=[d.payout.payout_id for d in found.payouts[:5]],
            )
        await pause(stop, every_s)
