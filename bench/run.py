"""`make bench`: the system's speed and memory on this machine, against the real stack.

    .venv/bin/python -m bench.run [--rate 2000] [--seconds 10] [--step-seconds 10]
                                  [--consumers-nice 0] [--fold-orders 20000]
                                  [--quick] [--output bench/results.json]

0. Load generator check (`bench/generator_check.py`): `--rate` offered to a stub server that
   answers at once, so the table says whether the generator itself can offer that rate here.
1. Starts the three services as processes (fresh databases, unique topics) and opens shops.
2. Capacity: order.placed webhooks offered open-loop at rising rates (``STEP_RATES`` up to
   `--rate`, `--step-seconds` each, the ledger caught up between steps) until a step misses the
   objective (p99 <= 25 ms and every offered webhook accepted). The last step that met it is the
   sustained rate; its p50/p99 and end-to-end lag are the ones reported.
3. Saturation: `--rate` offered for `--seconds`; end to end is from the first webhook sent until
   the ledger has folded every accepted order (orders/s), with the lag per order (sampled).
   CPU time per accepted order of each component during it (services, Kafka, PostgreSQL, the
   load generator), from /proc: where the 2 cores go.
4. Peak RSS of each service (VmHWM) and of the whole stack (services, Kafka, PostgreSQL).
5. The ledger fold and replay benchmark (`bench/ledger_fold.py`) on a pre-filled topic: one
   in-process fold, the replay, and two `python -m services.ledger fold` replicas in one group.
6. The replay CLI in each mode (`bench/replay_modes.py`): `python -m services.ledger replay
   --mode verify|rebuild` on the same stream; a mode the CLI lacks is null, with the reason.
7. Peers (`bench/peers.py`): the `eventsourcing` library and a naive asyncpg loop storing the
   fold's own event stream (same orders, same events), each in a database of its own.
Prints one table and writes `--output` (`bench/results.json`; with `--quick`, a smoke test of
every stage in a minute or two, `.local/bench-results-quick.json`). Loopback only; every wait is
bounded. Rates are wall clock on a shared 2-core machine; CPU figures are CPU time.

Keys of the results (`bench.report.RESULT_KEYS`; null where a figure could not be measured):

- the run: `command`, `measured_at`, `machine`, `quick`, `consumers_nice`;
  `load_generator_check` {offered_per_s, achieved_offered_per_s, kept_up, late_p99_ms,
  cpu_us_per_request} against the stub server.
- capacity: `webhook_objective`; `webhook_sustained_per_s` (accepted/s of the last step that met
  it), `webhook_p50_ms`, `webhook_p99_ms`, `sustained_e2e_lag_p50_ms`, `sustained_e2e_lag_p99_ms`
  of that step; `capacity_first_missed_per_s` (offered rate of the first step that missed, null if
  none did); `capacity_steps`, one per step: offered_per_s, achieved_offered_per_s (what the
  generator really dispatched), generator_kept_up, accepted_per_s, failed, p50_ms, p99_ms (from
  the scheduled send time), e2e_lag_p50_ms, e2e_lag_p99_ms.
- saturation: `webhooks_sent`, `webhooks_accepted`, `webhooks_failed`, `saturation_offered_per_s`
  (asked), `saturation_achieved_offered_per_s` (dispatched), `saturation_generator_kept_up`,
  `saturation_accepted_per_s`, `saturation_webhook_p50_ms`, `saturation_webhook_p99_ms`,
  `e2e_orders_per_s`, `e2e_lag_p50_ms`, `e2e_lag_p99_ms`; `saturation_cpu_ms_per_order` by
  component (orders, ledger, payouts, kafka, postgres, load_generator);
  `saturation_cpu_ms_per_order_total` (all of them, the load generator included) and
  `cpu_ms_per_order_total` (the system alone: the load generator excluded).
- memory: `service_rss_mib` by service, `max_service_rss_mib`, `stack_rss_mib`.
- fold and replay: `fold_events` (events in the stream), `fold_events_per_s` (one in-process
  fold), `fold_2_replicas_events_per_s`, `replay_events_per_s` (in-process replay);
  `replay_verify_events_per_s`, `replay_rebuild_events_per_s` (the CLI's modes, as it reports
  them), `replay_modes_note` (why a mode is null; empty when both were measured).
- peers: `peer_events` (equals `fold_events`: the same stream), `peer_eventsourcing_events_per_s`,
  `peer_eventsourcing_cpu_us_per_event`, `peer_naive_events_per_s`,
  `peer_naive_cpu_us_per_event` (CPU of this process, the client side, per event);
  `peer_fold_ratio_eventsourcing`, `peer_fold_ratio_naive` = `fold_events_per_s` / the peer's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench import generator_check, ledger_fold, peers, replay_modes
from bench.generator_check import achieved_offered_per_s, kept_up
from bench.processes import cpu_seconds_by_component, infrastructure_rss_mib, peak_rss_mib
from bench.report import complete, peer_ratios, system_cpu_ms_per_order, table
from bench.webhook_load import LoadResult, send_open_loop, sign_placements
from services.ledger.process_tuning import tune_garbage_collector
from settlement_cli.client import SettlementClient
from tests.support.e2e import wait_until_ready
from tests.support.service_stack import Stack, running_stack

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
QUICK_RESULTS = ROOT / ".local" / "bench-results-quick.json"
SHOPS = 10
LAG_SAMPLE = 200
STEP_RATES = (25, 50, 100, 150, 200, 300, 400, 600, 800, 1000, 1200, 1500, 2000)
"""Offered webhooks/s of the capacity steps (those above `--rate` are skipped)."""
QUICK_STEP_RATES = (100, 1000, 2000)
SLO_P99_MS = 25.0
WARM_UP_RATE = 50
FOLD_REPLICAS = 2
"""Ledger fold processes in one consumer group, sharing the topic's partitions (scale-out)."""
CONSUMERS = ("ledger", "payouts")
"""The services that only consume Kafka (``--consumers-nice`` lowers their CPU priority)."""
FOLD_WAIT_S = 300


@dataclass(frozen=True)
class Plan:
    """What one bench run offers and measures (the arguments, or `--quick`'s smaller ones)."""

    rate: float
    seconds: float
    step_seconds: float
    consumers_nice: int
    fold_orders: int
    step_rates: tuple[int, ...] = STEP_RATES
    generator_check_seconds: float = 3.0
    quick: bool = False

    def steps(self) -> list[int]:
        return [r for r in self.step_rates if r <= self.rate]


def quick_plan(rate: float, consumers_nice: int) -> Plan:
    """Every stage once, briefly: a smoke test of the bench, not a measurement."""
    return Plan(rate, 2.0, 1.0, consumers_nice, 500, QUICK_STEP_RATES, 1.0, quick=True)


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


async def stack_benchmark(plan: Plan) -> dict[str, Any]:
    run_id = datetime.now(UTC).strftime("%H%M%S")
    with tempfile.TemporaryDirectory(prefix="bench-") as logs:
        async with running_stack(Path(logs)) as stack:
            for name in CONSUMERS:
                os.setpriority(os.PRIO_PROCESS, stack.pids[name], plan.consumers_nice)
            with SettlementClient(stack.endpoints) as client:
                await asyncio.to_thread(wait_until_ready, client)
                shops = await asyncio.to_thread(open_shops, client, run_id)
            # Warm-up (not measured): connections, prepared statements, caches, JIT-less imports.
            await _offer(stack, shops, f"{run_id}-warm", WARM_UP_RATE, 2.0)
            results = await _capacity(stack, shops, run_id, plan.steps(), plan.step_seconds)
            results |= await _saturation(stack, shops, run_id, plan.rate, plan.seconds)
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
        "e2e_lag_p50_ms": round(_percentile(lags, 0.50), 1),
        "e2e_lag_p99_ms": round(_percentile(lags, 0.99), 1),
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
        "e2e_lag_p50_ms": round(_percentile(lags, 0.50), 1),
        "e2e_lag_p99_ms": round(_percentile(lags, 0.99), 1),
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


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def fold_and_replay(fold_orders: int) -> dict[str, Any]:
    tune_garbage_collector()  # the fold below runs in this process, tuned as the ledger's is
    fold = await ledger_fold.main(fold_orders, 500, FOLD_REPLICAS)
    results: dict[str, Any] = {
        "fold_events": fold["events"],
        "fold_events_per_s": fold["fold_events_per_second"],
        f"fold_{FOLD_REPLICAS}_replicas_events_per_s": round(
            float(fold["fold_processes_events_per_second"])  # type: ignore[arg-type]
        ),
        "replay_events_per_s": fold["replay_events_per_second"],
    }
    modes = await replay_modes.main(fold_orders)
    results["replay_verify_events_per_s"] = modes["verify"].events_per_s
    results["replay_rebuild_events_per_s"] = modes["rebuild"].events_per_s
    results["replay_modes_note"] = "; ".join(m.note for m in modes.values() if m.note)
    return results


async def main(plan: Plan) -> dict[str, Any]:
    results: dict[str, Any] = {
        "command": " ".join([".venv/bin/python -m bench.run", *sys.argv[1:]]),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "quick": plan.quick,
        "consumers_nice": plan.consumers_nice,
        "load_generator_check": await generator_check.check(
            plan.rate, plan.generator_check_seconds
        ),
    }
    results |= await stack_benchmark(plan)
    results |= await fold_and_replay(plan.fold_orders)
    results |= await peers.main(plan.fold_orders)  # the fold's orders: the same events
    results |= peer_ratios(results)
    return complete(results)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=2000.0, help="offered webhooks per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to offer them")
    parser.add_argument(
        "--step-seconds", type=float, default=10.0, help="how long each capacity step offers"
    )
    parser.add_argument(
        "--consumers-nice",
        type=int,
        default=0,
        help="niceness of the ledger and payouts processes (10: the webhook path gets the CPU "
        "first, as separate hosts or CPU shares would give it; folding catches up)",
    )
    parser.add_argument("--fold-orders", type=int, default=20_000)
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: every stage, briefly (not a measurement)"
    )
    parser.add_argument("--output", type=Path, help="results file (default: see the docstring)")
    arguments = parser.parse_args()
    if arguments.quick:
        chosen = quick_plan(arguments.rate, arguments.consumers_nice)
    else:
        chosen = Plan(
            arguments.rate,
            arguments.seconds,
            arguments.step_seconds,
            arguments.consumers_nice,
            arguments.fold_orders,
        )
    output = arguments.output or (QUICK_RESULTS if chosen.quick else RESULTS)
    measured = asyncio.run(main(chosen))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(measured, indent=2) + "\n")
    print(table(measured))
    print(f"\nwritten to {output}")
