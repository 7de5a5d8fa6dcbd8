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
   in-process fold, two `python -m services.ledger fold` replicas in one group, and the replay
   CLI in each mode: `replay --mode verify` against the live fold's database (it must match),
   `replay --mode rebuild` into a fresh one.
6. Peers (`bench/peers.py`), right after the fold: the `eventsourcing` library and a naive
   asyncpg loop storing the fold's own event stream (same orders, same events), each in a
   database of its own.
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
  fold), `fold_cpu_us_per_event` (that fold's CPU in this process, the client side),
  `fold_2_replicas_events_per_s`, `replay_events_per_s` (rebuild, kept for continuity);
  `replay_verify_events_per_s`, `replay_rebuild_events_per_s` (the CLI's modes, as it reports
  them), `replay_verify_cpu_us_per_event`, `replay_rebuild_cpu_us_per_event` (the command and
  its worker processes).
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
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import generator_check, ledger_fold, peers
from bench.report import complete, peer_ratios, table
from bench.stack_load import stack_benchmark
from services.ledger.process_tuning import tune_garbage_collector

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
QUICK_RESULTS = ROOT / ".local" / "bench-results-quick.json"
STEP_RATES = (25, 50, 100, 150, 200, 300, 400, 600, 800, 1000, 1200, 1500, 2000)
"""Offered webhooks/s of the capacity steps (those above `--rate` are skipped)."""
QUICK_STEP_RATES = (100, 1000, 2000)
FOLD_REPLICAS = 2
"""Ledger fold processes in one consumer group, sharing the topic's partitions (scale-out)."""


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


async def fold_and_peers(fold_orders: int) -> dict[str, Any]:
    """The fold bench, then the peers on the same stream right after it (the machine's load
    drifts: the closer in time, the fairer the ratio). The fold bench also runs the replay CLI
    in both modes: verify against the live fold's database (it must match), rebuild into a
    fresh one."""
    tune_garbage_collector()  # the fold below runs in this process, tuned as the ledger's is
    fold = await ledger_fold.main(fold_orders, 500, FOLD_REPLICAS)
    results: dict[str, Any] = {
        "fold_events": fold["events"],
        "fold_events_per_s": fold["fold_events_per_second"],
        "fold_cpu_us_per_event": fold.get("fold_cpu_us_per_event"),
        f"fold_{FOLD_REPLICAS}_replicas_events_per_s": round(
            float(fold["fold_processes_events_per_second"])  # type: ignore[arg-type]
        ),
        "replay_events_per_s": fold.get("replay_events_per_second"),
    }
    results |= await peers.main(fold_orders)  # the fold's orders: the same events
    results["replay_verify_events_per_s"] = fold.get("replay_verify_events_per_second")
    results["replay_verify_cpu_us_per_event"] = fold.get("replay_verify_cpu_us_per_event")
    results["replay_rebuild_events_per_s"] = fold.get("replay_rebuild_events_per_second")
    results["replay_rebuild_cpu_us_per_event"] = fold.get("replay_cpu_us_per_event")
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
    results |= await stack_benchmark(
        plan.steps(), plan.step_seconds, plan.rate, plan.seconds, plan.consumers_nice
    )
    results |= await fold_and_peers(plan.fold_orders)
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
