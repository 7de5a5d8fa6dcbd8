"""The webhook load on a running stack: capacity steps, saturation, CPU per order by component,
end-to-end lag and peak memory (stages 1-4 of `bench/run.py`, whose docstring names the keys)."""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.generator_check import achieved_offered_per_s, kept_up
from bench.processes import cpu_seconds_by_component, infrastructure_rss_mib, peak_rss_mib
from bench.report import system_cpu_ms_per_order
from bench.webhook_load import LoadResult, send_open_loop, sign_placements
from settlement_cli.client import SettlementClient
from tests.support.e2e import wait_until_ready
from tests.support.service_stack import Stack, running_stack

SHOPS = 10
LAG_SAMPLE = 200
SLO_P99_MS = 25.0
WARM_UP_RATE = 50
CONSUMERS = ("ledger", "payouts")
"""The services that only consume Kafka (``--consumers-nice`` lowers their CPU priority)."""
FOLD_WAIT_S = 300


def folded_events(ledger_url: str) -> float:
    text = httpx.get(f"{ledger_url}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        if family.name == "ledger_events_folded":
            return sum(s.value for s in family.samples if s.name.endswith("_total"))
    return 0.0


def open_shops(client: SettlementClient, run_id: str) -> list[tuple[str, str]]:
    shops = []
    for n in range(SHOPS):
        shop_id = f"bench-{run_id}-shop-{n}"
        secret = client.open_shop(shop_id, "UK")
        client.add_plan(shop_id, {"type": "shop", "rate_bps": 500})
        shops.append((shop_id, secret))
    return shops


async def stack_benchmark(
    steps: list[int], step_seconds: float, rate: float, seconds: float, consumers_nice: int
) -> dict[str, Any]:
    """Capacity steps at `steps` webhooks/s (`step_seconds` each) until one misses the
    objective, then saturation at `rate` for `seconds`, then the services' peak RSS; on a stack
    of its own (fresh databases, unique topics)."""
    run_id = datetime.now(UTC).strftime("%H%M%S")
    with tempfile.TemporaryDirectory(prefix="bench-") as logs:
        async with running_stack(Path(logs)) as stack:
            for name in CONSUMERS:
                os.setpriority(os.PRIO_PROCESS, stack.pids[name], consumers_nice)
            with SettlementClient(stack.endpoints) as client:
                await asyncio.to_thread(wait_until_ready, client)
                shops = await asyncio.to_thread(open_shops, client, run_id)
            # Warm-up (not measured): connections, prepared statements, caches, JIT-less imports.
            await _offer(stack, shops, f"{run_id}-warm", WARM_UP_RATE, 2.0)
            results = await _capacity(stack, shops, run_id, steps, step_seconds)
            results |= await _saturation(stack, shops, run_id, rate, seconds)
            rss = {name: round(peak_rss_mib(pid), 1) for name, pid in stack.pids.items()}
    return results | {
        "service_rss_mib": rss,
        "max_service_rss_mib": max(rss.values()),
        "stack_rss_mib": round(sum(rss.values()) + infrastructure_rss_mib(), 1),
    }


async def _offer(
    stack: Stack, shops: list[tuple[str, str]], batch_id: str, rate: float, seconds: float
) -> tuple[LoadResult, float, list[float]]:
    """Offer `rate` webhooks/s for `seconds`, then wait until the ledger folded every accepted
    one: the load, seconds from the first send to the last fold, and sampled end-to-end lags."""
    endpoints = stack.endpoints
    # Signed before the clock starts: signing must not limit the offered rate.
    requests = sign_placements(endpoints.orders, shops, max(1, int(rate * seconds)), batch_id)
    folded_before = await asyncio.to_thread(folded_events, endpoints.ledger)
    started = time.time()
    load = await send_open_loop(requests, rate)
    deadline = time.monotonic() + FOLD_WAIT_S
    while await asyncio.to_thread(folded_events, endpoints.ledger) < folded_before + load.accepted:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the ledger did not fold every accepted order in {FOLD_WAIT_S} s")
        await asyncio.sleep(0.1)
    end_to_end_s = time.time() - started
    lags = await asyncio.to_thread(_sample_lags, endpoints, load.sent_at)
    return load, end_to_end_s, lags


def meets_objective(load: LoadResult) -> bool:
    return load.failed == 0 and load.percentile_ms(0.99) <= SLO_P99_MS


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def capacity_step(rate: float, load: LoadResult, lags: list[float]) -> dict[str, Any]:
    """One capacity step's row (`bench/report.py` prints it; the keys are in the docstring)."""
    achieved = achieved_offered_per_s(load)
    return {
        "offered_per_s": rate,
        "achieved_offered_per_s": _rounded(achieved),
        "generator_kept_up": kept_up(rate, achieved),
        "accepted_per_s": round(load.accepted / load.elapsed_s, 1),
        "failed": load.failed,
        "p50_ms": round(load.percentile_ms(0.50), 1),
        "p99_ms": round(load.percentile_ms(0.99), 1),
        "e2e_lag_p50_ms": _rounded(_percentile(lags, 0.50)),
        "e2e_lag_p99_ms": _rounded(_percentile(lags, 0.99)),
    }


async def _capacity(
    stack: Stack, shops: list[tuple[str, str]], run_id: str, rates: list[int], seconds: float
) -> dict[str, Any]:
    steps: list[dict[str, Any]] = []
    sustained: dict[str, Any] = {}
    first_missed: int | None = None
    for rate in rates:
        load, _, lags = await _offer(stack, shops, f"{run_id}-r{rate}", rate, seconds)
        step = capacity_step(rate, load, lags)
        steps.append(step)
        print(f"capacity step: {step}", file=sys.stderr)
        if not meets_objective(load):
            first_missed = rate
            break
        sustained = step
    return {
        "webhook_objective": f"p99 <= {SLO_P99_MS:g} ms, none rejected",
        "webhook_sustained_per_s": sustained.get("accepted_per_s", 0.0),
        "webhook_p50_ms": sustained.get("p50_ms"),
        "webhook_p99_ms": sustained.get("p99_ms"),
        "sustained_e2e_lag_p50_ms": sustained.get("e2e_lag_p50_ms"),
        "sustained_e2e_lag_p99_ms": sustained.get("e2e_lag_p99_ms"),
        "capacity_first_missed_per_s": first_missed,
        "capacity_steps": steps,
    }


async def _saturation(
    stack: Stack, shops: list[tuple[str, str]], run_id: str, rate: float, seconds: float
) -> dict[str, Any]:
    cpu_before = cpu_seconds_by_component(stack.pids)
    load, end_to_end_s, lags = await _offer(stack, shops, f"{run_id}-sat", rate, seconds)
    cpu_after = cpu_seconds_by_component(stack.pids)
    cpu_ms_per_order = {
        name: round((cpu_after[name] - cpu_before[name]) * 1000 / max(1, load.accepted), 2)
        for name in cpu_before
    }
    achieved = achieved_offered_per_s(load)
    return {
        "webhooks_sent": load.sent,
        "webhooks_accepted": load.accepted,
        "webhooks_failed": load.failed,
        "saturation_offered_per_s": rate,
        "saturation_achieved_offered_per_s": _rounded(achieved),
        "saturation_generator_kept_up": kept_up(rate, achieved),
        "saturation_accepted_per_s": round(load.accepted / load.elapsed_s, 1),
        "saturation_webhook_p50_ms": round(load.percentile_ms(0.50), 1),
        "saturation_webhook_p99_ms": round(load.percentile_ms(0.99), 1),
        "e2e_orders_per_s": round(load.accepted / end_to_end_s, 1),
        "e2e_lag_p50_ms": _rounded(_percentile(lags, 0.50)),
        "e2e_lag_p99_ms": _rounded(_percentile(lags, 0.99)),
        "saturation_cpu_ms_per_order": cpu_ms_per_order,
        "saturation_cpu_ms_per_order_total": round(sum(cpu_ms_per_order.values()), 2),
        "cpu_ms_per_order_total": system_cpu_ms_per_order(cpu_ms_per_order),
    }


def _sample_lags(endpoints: Any, sent_at: dict[str, float]) -> list[float]:
    sample = random.Random(7).sample(sorted(sent_at), min(LAG_SAMPLE, len(sent_at)))
    lags = []
    with SettlementClient(endpoints) as client:
        for order_id in sample:
            entries = client.order_entries(order_id)
            if entries and entries["entries"]:
                recorded = datetime.fromisoformat(entries["entries"][0]["recorded_at"])
                lags.append((recorded.timestamp() - sent_at[order_id]) * 1000)
    return lags


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None  # null in the results (NaN is not JSON)
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
