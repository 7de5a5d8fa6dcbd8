"""The scenarios of the matrix: one fault each, injected while the load runs, then healed.

`inject` returns once the fault is healed (everything it stopped runs again). `prepare` and
`restore` change the stack for the scenario (bank settings, a third payouts replica) before the
load starts and after the invariants were checked.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from bench.chaos.stack import ADMIN, Stack

SESSION_TIMEOUT_S = 10.0
"""The consumers' Kafka session timeout (shared/kafka/config.py)."""
OUTAGE_S = 3.0
PAYOUT_RUN_TIMEOUT_S = 30.0
BANK_TIMEOUTS = {"PAYOUTS_BANK_TIMEOUT_AFTER_PAY_RATE": "0.2", "PAYOUTS_BANK_SEED": "12"}

Step = Callable[[Stack], Awaitable[None]]


async def _nothing(_: Stack) -> None:
    return None


@dataclass(frozen=True)
class Scenario:
    name: str
    fault: str
    inject: Step
    prepare: Step = _nothing
    restore: Step = _nothing


def kill(service: str, *, every_replica: bool) -> Step:
    async def inject(stack: Stack) -> None:
        targets = stack.replicas[service] if every_replica else stack.replicas[service][:1]
        for replica in targets:
            replica.kill()
        await asyncio.sleep(OUTAGE_S)
        for replica in targets:
            stack.start(replica)
        await asyncio.to_thread(stack.wait_ready, targets)

    return inject


async def kafka_restart(stack: Stack) -> None:
    await asyncio.to_thread(stack.infra.kafka_stop)
    await asyncio.sleep(OUTAGE_S)
    await asyncio.to_thread(stack.infra.kafka_start)


def postgres_restart(mode: str) -> Step:
    async def inject(stack: Stack) -> None:
        await asyncio.to_thread(stack.infra.postgres_stop, mode)
        await asyncio.sleep(OUTAGE_S)
        await asyncio.to_thread(stack.infra.postgres_start)

    return inject


async def pause_ledger_replica(stack: Stack) -> None:
    """SIGSTOP one ledger replica past its session timeout: the group rebalances its partitions
    to the other replica while it may hold a batch mid-transaction; then SIGCONT."""
    replica = stack.replicas["ledger"][0]
    replica.signal(signal.SIGSTOP)
    try:
        await asyncio.sleep(SESSION_TIMEOUT_S + 4)
    finally:
        replica.signal(signal.SIGCONT)


async def run_payouts(url: str) -> int:
    """`POST /v1/payout-runs` once; the HTTP status (0 when it did not answer)."""
    try:
        async with httpx.AsyncClient(headers=ADMIN, timeout=PAYOUT_RUN_TIMEOUT_S) as client:
            return (await client.post(f"{url}/v1/payout-runs")).status_code
    except httpx.HTTPError:
        return 0


async def concurrent_payout_runs(stack: Stack) -> None:
    urls = [replica.url for replica in stack.replicas["payouts"]]
    for _ in range(4):
        await asyncio.gather(*(run_payouts(url) for url in urls))
        await asyncio.sleep(1.5)


async def bank_timeouts_on(stack: Stack) -> None:
    for replica in stack.replicas["payouts"]:
        stack.restart(replica, BANK_TIMEOUTS)
    await asyncio.to_thread(stack.wait_ready, stack.replicas["payouts"])


async def bank_timeouts_off(stack: Stack) -> None:
    for replica in stack.replicas["payouts"]:
        stack.restart(replica, {})
    await asyncio.to_thread(stack.wait_ready, stack.replicas["payouts"])


async def payout_runs_for_a_while(stack: Stack) -> None:
    for n in range(2):
        await run_payouts(stack.replicas["payouts"][n % 2].url)
        await asyncio.sleep(1.5)


async def third_payouts_replica(stack: Stack) -> None:
    await asyncio.to_thread(stack.add_replica, "payouts")


async def without_third_payouts_replica(stack: Stack) -> None:
    stack.remove_replica(stack.replicas["payouts"][-1])


async def steady(stack: Stack) -> None:
    await asyncio.sleep(10)


SCENARIOS = [
    *(
        Scenario(f"kill-{svc}-one", f"kill -9 one {svc} replica", kill(svc, every_replica=False))
        for svc in ("orders", "ledger", "payouts")
    ),
    *(
        Scenario(f"kill-{svc}-all", f"kill -9 every {svc} replica", kill(svc, every_replica=True))
        for svc in ("orders", "ledger", "payouts")
    ),
    Scenario("kafka-restart", "Kafka broker stop, then start", kafka_restart),
    Scenario("postgres-fast", "PostgreSQL fast shutdown, then start", postgres_restart("fast")),
    Scenario(
        "postgres-immediate",
        "PostgreSQL immediate shutdown (crash recovery), then start",
        postgres_restart("immediate"),
    ),
    Scenario(
        "consumer-paused",
        "SIGSTOP a ledger replica past its session timeout, then SIGCONT",
        pause_ledger_replica,
    ),
    Scenario(
        "concurrent-payout-runs",
        "two payout runs at once on two payouts replicas (x4)",
        concurrent_payout_runs,
    ),
    Scenario(
        "bank-timeouts",
        "20% of bank calls time out after paying",
        payout_runs_for_a_while,
        prepare=bank_timeouts_on,
        restore=bank_timeouts_off,
    ),
    Scenario(
        "release-3-replicas",
        "the release scheduler in three payouts replicas",
        steady,
        prepare=third_payouts_replica,
        restore=without_third_payouts_replica,
    ),
]
QUICK = ("kill-ledger-one", "kafka-restart", "bank-timeouts")
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}
