"""The services as replicated processes on the private infrastructure.

Replicas of one service share its database and consumer group and differ only in HTTP port.
Each service is migrated once before its replicas start. A replica can be killed (any signal),
restarted with other settings, paused and resumed; every wait is bounded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.chaos.infra import ROOT, PrivateInfra, free_port
from shared.settings import LOCAL_ADMIN_TOKEN

SERVICES = ("orders", "ledger", "payouts")
REPLICAS = {"orders": 2, "ledger": 2, "payouts": 2}
TOPICS = {"orders": "orders.v1", "ledger": "ledger.v1", "payouts": "payouts.v1"}
PARTITIONS = 2
READY_TIMEOUT_S = 90
ADMIN = {"Authorization": f"Bearer {LOCAL_ADMIN_TOKEN}"}


@dataclass
class Replica:
    service: str
    index: int
    port: int
    log: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def name(self) -> str:
        return f"{self.service}-{self.index}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, signum: int) -> None:
        if self.alive and self.process is not None:
            self.process.send_signal(signum)

    def kill(self) -> None:
        """``kill -9``: no shutdown hooks, connections and transactions cut mid-flight."""
        self.signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(10)

    def terminate(self) -> None:
        if self.process is None or not self.alive:
            return
        self.signal(signal.SIGCONT)  # a paused process cannot act on SIGTERM
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


class Stack:
    """Every replica of the three services, started against ``infra``."""

    def __init__(self, infra: PrivateInfra, log_dir: Path) -> None:
        self.infra = infra
        self.log_dir = log_dir
        self.replicas: dict[str, list[Replica]] = {
            name: [
                Replica(name, n, free_port(), log_dir / f"{name}-{n}.log")
                for n in range(REPLICAS[name])
            ]
            for name in SERVICES
        }

    def url(self, service: str, index: int = 0) -> str:
        return self.replicas[service][index].url

    def env(self, replica: Replica) -> dict[str, str]:
        return {
            **os.environ,
            **self.infra.env,
            "ADMIN_TOKEN": LOCAL_ADMIN_TOKEN,
            "SETTLEMENT_ENV": "local",
            "LOG_LEVEL": "WARNING",
            "TOPIC_ORDERS": TOPICS["orders"],
            "TOPIC_LEDGER": TOPICS["ledger"],
            "TOPIC_PAYOUTS": TOPICS["payouts"],
            "PAYOUTS_RELEASE_TICK_S": "0.2",
            "PAYOUTS_SCHEDULE_ENABLED": "false",
            "PAYOUTS_RECONCILIATION_INTERVAL_S": "3600",
            # A payout the bank did not answer is asked again within seconds, not minutes.
            "PAYOUTS_PAYOUT_RETRY_S": "1",
            "PAYOUTS_PAYOUT_RETRY_MAX_S": "4",
            "PAYOUTS_LEDGER_URL": self.url("ledger"),
            "ORDERS_HTTP_WORKERS": "1",
            "DB_POOL_SIZE": "5",
            f"{replica.service.upper()}_PORT": str(replica.port),
            **replica.extra_env,
        }

    def migrate(self) -> None:
        for name in SERVICES:
            replica = self.replicas[name][0]
            with replica.log.open("ab") as out:
                done = subprocess.run(  # noqa: S603 - our own services
                    [sys.executable, "-m", f"services.{name}", "migrate"],
                    cwd=ROOT,
                    env=self.env(replica),
                    stdout=out,
                    stderr=out,
                    timeout=120,
                    check=False,
                )
            if done.returncode != 0:
                raise RuntimeError(f"{name} migrations failed; see {replica.log}")

    def start(self, replica: Replica, extra_env: dict[str, str] | None = None) -> None:
        if extra_env is not None:
            replica.extra_env = extra_env
        with replica.log.open("ab") as out:
            replica.process = subprocess.Popen(  # noqa: S603 - our own services
                [sys.executable, "-m", f"services.{replica.service}", "serve"],
                cwd=ROOT,
                env=self.env(replica),
                stdout=out,
                stderr=out,
            )

    def start_all(self) -> None:
        for replicas in self.replicas.values():
            for replica in replicas:
                self.start(replica)
        self.wait_ready(self.all())

    def all(self) -> list[Replica]:
        return [r for replicas in self.replicas.values() for r in replicas]

    def add_replica(self, service: str, extra_env: dict[str, str] | None = None) -> Replica:
        replicas = self.replicas[service]
        replica = Replica(
            service, len(replicas), free_port(), self.log_dir / f"{service}-{len(replicas)}.log"
        )
        replicas.append(replica)
        self.start(replica, extra_env)
        self.wait_ready([replica])
        return replica

    def remove_replica(self, replica: Replica) -> None:
        replica.terminate()
        self.replicas[replica.service].remove(replica)

    def restart(self, replica: Replica, extra_env: dict[str, str] | None = None) -> None:
        replica.terminate()
        self.start(replica, extra_env)

    def ensure_running(self) -> None:
        """Start any replica that is not running (a scenario's kill), then wait for all."""
        for replica in self.all():
            if not replica.alive:
                self.start(replica)
        self.wait_ready(self.all())

    def wait_ready(self, replicas: list[Replica], timeout_s: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        waiting = list(replicas)
        while waiting:
            waiting = [r for r in waiting if not _ready(r)]
            for replica in waiting:
                if not replica.alive:
                    raise RuntimeError(f"{replica.name} exited; see {replica.log}")
            if waiting and time.monotonic() > deadline:
                names = ", ".join(r.name for r in waiting)
                raise TimeoutError(f"not ready within {timeout_s}s: {names}")
            if waiting:
                time.sleep(0.3)

    def stop(self) -> None:
        for replica in self.all():
            try:
                replica.terminate()
            except (OSError, subprocess.SubprocessError):
                if replica.process is not None:
                    replica.process.kill()


def _ready(replica: Replica) -> bool:
    try:
        return httpx.get(f"{replica.url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
