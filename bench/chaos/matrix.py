"""Runs scenarios one at a time on one replicated stack and checks the invariants after each.

Per scenario: prepare, mixed load at ~100/s with a payout run every few seconds, the fault
injected and healed under load, the load stopped and its retries drained, a last payout run
(settles what a fault left unfinished), quiescence, the seven checks, restore. The invariants
are cumulative (the whole history must satisfy them after every scenario). Every step is
bounded; a scenario that would end after the matrix's deadline is not started.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.chaos.check import Check
from bench.chaos.faults import BY_NAME, Scenario, run_payouts
from bench.chaos.infra import PrivateInfra
from bench.chaos.invariants import check_all
from bench.chaos.load import MixedLoad, open_shops
from bench.chaos.pipeline import quiesce
from bench.chaos.stack import PARTITIONS, TOPICS, Stack
from services.payouts.settings import PayoutsSettings
from shared.kafka.topics import ensure_topics

RATE_PER_S = 100.0
WARM_UP_S = 4.0
AFTER_FAULT_S = 4.0
PAYOUT_RUN_EVERY_S = 3.0
QUIESCE_S = 90.0
STOP_WAIT_S = 60.0
SCENARIO_BUDGET_S = 240.0
"""Hard limit of one scenario (load, fault, drain, quiescence, checks)."""
SCENARIO_ESTIMATE_S = 60.0
"""A scenario is started only if this much of the matrix's time is left."""


def bank_timeouts_available() -> bool:
    """Whether the simulated bank understands PAYOUTS_BANK_TIMEOUT_AFTER_PAY_RATE yet."""
    return any(
        f.validation_alias == "PAYOUTS_BANK_TIMEOUT_AFTER_PAY_RATE"
        for f in PayoutsSettings.model_fields.values()
    )


async def _payout_runs(stack: Stack, stop: asyncio.Event, outcomes: dict[str, int]) -> None:
    for n in range(10_000):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), PAYOUT_RUN_EVERY_S)
        if stop.is_set():
            return
        replicas = stack.replicas["payouts"]
        began = time.monotonic()
        status = await run_payouts(replicas[n % len(replicas)].url)
        key = "ok" if status == 201 else f"status_{status}"
        outcomes[key] = outcomes.get(key, 0) + 1
        slowest = max(outcomes.get("slowest_ms", 0), int((time.monotonic() - began) * 1000))
        outcomes["slowest_ms"] = slowest


def _progress(scenario: Scenario, started: float, what: str, load: MixedLoad | None = None) -> None:
    stats = ""
    if load is not None:
        sent, accepted = load.stats.sent, len(load.stats.accepted_ids)
        stats = f" (sent {sent}, accepted {accepted}, in flight {load.in_flight})"
    print(f"chaos: {scenario.name} +{time.monotonic() - started:.1f}s {what}{stats}", flush=True)


async def run_scenario(
    stack: Stack, load: MixedLoad, scenario: Scenario, *, last: bool
) -> dict[str, Any]:
    """One scenario; `last`: the stack stops next, so the scenario's changes stay."""
    started = time.monotonic()
    sent_before, shed_before = load.stats.sent, load.stats.shed
    await scenario.prepare(stack)
    stop = asyncio.Event()
    runs: dict[str, int] = {}
    load_started = time.monotonic()
    load_task = asyncio.create_task(load.run(RATE_PER_S, stop, max_s=SCENARIO_BUDGET_S / 2))
    runs_task = asyncio.create_task(_payout_runs(stack, stop, runs))
    fault_s = 0.0
    try:
        await asyncio.sleep(WARM_UP_S)
        fault_started = time.monotonic()
        _progress(scenario, started, "injecting the fault", load)
        await scenario.inject(stack)
        _progress(scenario, started, "healed", load)
        fault_s = time.monotonic() - fault_started
        await asyncio.sleep(AFTER_FAULT_S)
    finally:
        stop.set()
        load_s = time.monotonic() - load_started
        await asyncio.wait({load_task, runs_task}, timeout=STOP_WAIT_S)
        runs_task.cancel()
    _progress(scenario, started, "load stopped", load)
    await load.drain()
    await asyncio.to_thread(stack.ensure_running)
    _progress(scenario, started, "retries drained")
    final_run = await run_payouts(stack.url("payouts"))
    quiet, figures, waited = await quiesce(stack.infra, QUIESCE_S)
    _progress(scenario, started, f"quiescent: {quiet} {figures}")
    checks = await check_all(stack, load.stats.accepted_ids)
    _progress(scenario, started, "checked")
    if not last:
        await scenario.restore(stack)
    return {
        "scenario": scenario.name,
        "fault": scenario.fault,
        "seconds": round(time.monotonic() - started, 1),
        "fault_s": round(fault_s, 1),
        "load_s": round(load_s, 1),
        "webhooks_sent": load.stats.sent - sent_before,
        "sent_per_s": round((load.stats.sent - sent_before) / load_s, 1),
        "shed_ticks": load.stats.shed - shed_before,
        "payout_runs": runs | {"final": final_run},
        "quiescent": quiet,
        "quiesce_s": round(waited, 1),
        "pipeline": figures,
        "invariants": {name: _as_json(check) for name, check in checks.items()},
    }


def _as_json(check: Check) -> dict[str, Any]:
    return {"status": check.status, "counts": check.counts, "note": check.note}


def _not_run(scenario: Scenario, why: str) -> dict[str, Any]:
    return {"scenario": scenario.name, "fault": scenario.fault, "skipped": why, "invariants": {}}


async def run_matrix(names: list[str], log_dir: Path, deadline_s: float) -> dict[str, Any]:
    """Start the private infrastructure and the stack, run `names` in order, stop everything."""
    started = time.monotonic()
    infra = PrivateInfra()
    stack = Stack(infra, log_dir)
    results: list[dict[str, Any]] = []
    load: MixedLoad | None = None
    try:
        await asyncio.to_thread(infra.start)
        await ensure_topics(infra.bootstrap, list(TOPICS.values()), partitions=PARTITIONS)
        await asyncio.to_thread(stack.migrate)
        await asyncio.to_thread(stack.start_all)
        run_id = datetime.now(UTC).strftime("%H%M%S")
        shops = await asyncio.to_thread(open_shops, stack.url("orders"), run_id)
        load = MixedLoad([r.url for r in stack.replicas["orders"]], shops, run_id, seed=7)
        setup_s = time.monotonic() - started
        for n, name in enumerate(names):
            scenario = BY_NAME[name]
            left = deadline_s - (time.monotonic() - started)
            if name == "bank-timeouts" and not bank_timeouts_available():
                results.append(
                    _not_run(
                        scenario,
                        "not available: the simulated bank has no "
                        "PAYOUTS_BANK_TIMEOUT_AFTER_PAY_RATE yet",
                    )
                )
                continue
            if left < SCENARIO_ESTIMATE_S:
                results.append(_not_run(scenario, f"deadline: {left:.0f}s left"))
                continue
            print(f"chaos: {name} ...", flush=True)
            try:
                result = await asyncio.wait_for(
                    run_scenario(stack, load, scenario, last=n == len(names) - 1),
                    min(SCENARIO_BUDGET_S, left),
                )
            except (TimeoutError, RuntimeError, OSError) as error:
                result = _not_run(scenario, f"aborted: {type(error).__name__}: {error}"[:400])
                await asyncio.to_thread(_heal, infra, stack)
            results.append(result)
            print(f"chaos: {name} done in {result.get('seconds', '-')}s", flush=True)
        load_summary = load.stats.summary()
    finally:
        if load is not None:
            await load.close()
        await asyncio.to_thread(stack.stop)
        await asyncio.to_thread(infra.stop)
    return {
        "setup_s": round(setup_s, 1),
        "wall_s": round(time.monotonic() - started, 1),
        "rate_per_s": RATE_PER_S,
        "replicas": {name: len(r) for name, r in stack.replicas.items()},
        "partitions": PARTITIONS,
        "load": load_summary,
        "scenarios": results,
    }


def _heal(infra: PrivateInfra, stack: Stack) -> None:
    """After an aborted scenario: both engines and every replica running again."""
    with contextlib.suppress(RuntimeError, OSError):
        infra.postgres_start()
    with contextlib.suppress(RuntimeError, OSError):
        infra.kafka_start()
    for replica in stack.all():
        replica.signal(signal.SIGCONT)  # in case it was paused
    with contextlib.suppress(RuntimeError, TimeoutError, OSError):
        stack.ensure_running()
