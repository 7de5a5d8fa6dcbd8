"""`make bench`: the system's speed and memory on this machine, against the real stack.

    .venv/bin/python -m bench.run [--rate 1000] [--seconds 10] [--fold-orders 20000]

1. Starts the three services as processes (fresh databases, unique topics), opens shops, and sends
   order.placed webhooks open-loop at `--rate` for `--seconds` (webhook latency and accepted/s).
2. End to end: from the first webhook sent until the ledger has folded every accepted order
   (orders/s), and per order the lag from sending its webhook to its journal entry (sampled).
3. Peak RSS of each service (VmHWM) and of the whole stack (services, Kafka, PostgreSQL).
4. The ledger fold and replay benchmark (`bench/ledger_fold.py`) on a pre-filled topic.
Prints one table and writes `bench/results.json`. Loopback only; every wait is bounded.
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench import ledger_fold
from bench.webhook_load import send_open_loop, sign_placements
from services.ledger.process_tuning import tune_garbage_collector
from settlement_cli.client import SettlementClient
from tests.support.e2e import wait_until_ready
from tests.support.service_stack import Stack, running_stack

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
SHOPS = 10
LAG_SAMPLE = 200


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
        secret = client.create_shop(shop_id, "UK")["webhook_secret"]
        client.add_plan(shop_id, {"type": "shop", "rate_bps": 500})
        shops.append((shop_id, secret))
    return shops


def peak_rss_mib(pid: int, field: str = "VmHWM") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def infrastructure_rss_mib() -> float:
    """Kafka's peak RSS plus the current RSS of every PostgreSQL process."""
    state = Path(os.environ.get("SETTLEMENT_STATE_DIR", ROOT / ".local"))
    total = 0.0
    broker_pid = state / "kafka" / "broker.pid"
    if broker_pid.exists():
        total += peak_rss_mib(int(broker_pid.read_text()))
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "comm").read_text().strip() in ("postgres", "postmaster"):
                    total += peak_rss_mib(int(proc.name), "VmRSS")
            except OSError:
                continue
    return total


async def stack_benchmark(rate: float, seconds: float) -> dict[str, Any]:
    run_id = datetime.now(UTC).strftime("%H%M%S")
    with tempfile.TemporaryDirectory(prefix="bench-") as logs:
        async with running_stack(Path(logs)) as stack:
            return await _drive(stack, run_id, rate, seconds)


async def _drive(stack: Stack, run_id: str, rate: float, seconds: float) -> dict[str, Any]:
    endpoints = stack.endpoints
    with SettlementClient(endpoints) as client:
        await asyncio.to_thread(wait_until_ready, client)
        shops = await asyncio.to_thread(open_shops, client, run_id)
    requests = sign_placements(endpoints.orders, shops, int(rate * seconds), run_id)
    started = time.time()
    load = await send_open_loop(requests, rate)
    deadline = time.monotonic() + 300
    while await asyncio.to_thread(folded_events, endpoints.ledger) < load.accepted:
        if time.monotonic() > deadline:
            raise TimeoutError("the ledger did not fold every accepted order within 300 s")
        await asyncio.sleep(0.1)
    folded_at = time.time()
    lags = await asyncio.to_thread(_sample_lags, endpoints, load.sent_at)
    rss = {name: round(peak_rss_mib(pid), 1) for name, pid in stack.pids.items()}
    return {
        "webhooks_sent": load.sent,
        "webhooks_accepted": load.accepted,
        "webhooks_failed": load.failed,
        "webhook_offered_rate_per_s": rate,
        "webhook_accepted_per_s": round(load.accepted / load.elapsed_s, 1),
        "webhook_p50_ms": round(load.percentile_ms(0.50), 1),
        "webhook_p99_ms": round(load.percentile_ms(0.99), 1),
        "e2e_orders_per_s": round(load.accepted / (folded_at - started), 1),
        "e2e_lag_p50_ms": round(_percentile(lags, 0.50), 1),
        "e2e_lag_p99_ms": round(_percentile(lags, 0.99), 1),
        "service_rss_mib": rss,
        "max_service_rss_mib": max(rss.values()),
        "stack_rss_mib": round(sum(rss.values()) + infrastructure_rss_mib(), 1),
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


def table(results: dict[str, Any]) -> str:
    rows = [(k, v) for k, v in results.items() if not isinstance(v, dict)]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


async def main(rate: float, seconds: float, fold_orders: int) -> dict[str, Any]:
    results: dict[str, Any] = {
        "command": " ".join([".venv/bin/python -m bench.run", *sys.argv[1:]]),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
    }
    results |= await stack_benchmark(rate, seconds)
    tune_garbage_collector()  # the fold below runs in this process, tuned as the ledger's is
    fold = await ledger_fold.main(fold_orders, 500, 1)
    results["fold_events_per_s"] = fold["fold_events_per_second"]
    results["replay_events_per_s"] = fold["replay_events_per_second"]
    results["fold_events"] = fold["events"]
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="offered webhooks per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to offer them")
    parser.add_argument("--fold-orders", type=int, default=20_000)
    arguments = parser.parse_args()
    measured = asyncio.run(main(arguments.rate, arguments.seconds, arguments.fold_orders))
    RESULTS.write_text(json.dumps(measured, indent=2) + "\n")
    print(table(measured))
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
