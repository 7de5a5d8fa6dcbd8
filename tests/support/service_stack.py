"""The three services as real subprocesses (``python -m services.<svc> migrate`` then
``serve``), each on a fresh database, a free loopback port, unique topics and consumer
groups, so a test can drive the whole system over HTTP like ``make run`` does."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from settlement_cli.config import Endpoints
from settlement_cli.demo.catch_up import Pipeline
from shared.kafka.topics import ensure_topics
from shared.service.token_revocations import ensure_revocations_topic
from shared.settings import LOCAL_ADMIN_TOKEN
from tests.support.infra import KAFKA_BOOTSTRAP, SETTINGS, as_role, fresh_database, unique_name

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("orders", "ledger", "payouts")


@dataclass(frozen=True)
class Stack:
    endpoints: Endpoints
    pipeline: Pipeline
    logs: dict[str, Path]
    pids: dict[str, int]
    cli_env: dict[str, str]  # what the `settlement` CLI needs to reach this stack
    database_urls: dict[str, str] = field(default_factory=dict)  # each service's own database

    def log_tails(self) -> str:
        return "\n".join(
            f"--- {name}\n{path.read_text()[-3000:]}" for name, path in self.logs.items()
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _run(env: dict[str, str], log: Path, *args: str) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, *args, cwd=ROOT, env=env, stdout=out, stderr=out
        )


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()


@asynccontextmanager
async def running_stack(
    log_dir: Path, env: Mapping[str, str] | None = None
) -> AsyncIterator[Stack]:
    """`env` adds to (or overrides) what every service process gets."""
    topics = {name: unique_name(f"{name}_v1") for name in SERVICES}
    await ensure_topics(KAFKA_BOOTSTRAP, list(topics.values()))
    revocations_topic = unique_name("auth_revocations_v1")
    await ensure_revocations_topic(KAFKA_BOOTSTRAP, revocations_topic)
    ports = {name: free_port() for name in SERVICES}
    payouts_group = unique_name("payouts_ledger")
    common = {
        **os.environ,
        "ADMIN_TOKEN": LOCAL_ADMIN_TOKEN,
        "SETTLEMENT_ENV": "local",
        "LOG_LEVEL": "WARNING",
        "KAFKA_BOOTSTRAP": KAFKA_BOOTSTRAP,
        "TOPIC_ORDERS": topics["orders"],
        "TOPIC_LEDGER": topics["ledger"],
        "TOPIC_PAYOUTS": topics["payouts"],
        "TOPIC_REVOCATIONS": revocations_topic,
        "LEDGER_CONSUMER_GROUP": unique_name("ledger"),
        "PAYOUTS_LEDGER_CONSUMER_GROUP": payouts_group,
        "PAYOUTS_RELEASE_TICK_S": "0.2",
        "PAYOUTS_SCHEDULE_ENABLED": "false",
        "PAYOUTS_LEDGER_URL": f"http://127.0.0.1:{ports['ledger']}",  # this stack's ledger
        **{f"{name.upper()}_PORT": str(port) for name, port in ports.items()},
        **(env or {}),
    }
    logs = {name: log_dir / f"{name}.log" for name in SERVICES}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    async with AsyncExitStack() as stack:
        processes = []
        database_urls = {}
        for name in SERVICES:
            # Least privilege, as deployed: the owner role migrates, the service role serves.
            url, _ = await stack.enter_async_context(
                fresh_database(f"demo_{name}", owner=SETTINGS.db_owner_user)
            )
            database_urls[name] = url
            env = {
                **common,
                f"{name.upper()}_DATABASE_URL": as_role(url, f"{name}_service"),
                f"{name.upper()}_MIGRATION_DATABASE_URL": as_role(url, SETTINGS.db_owner_user),
            }
            migrate = await _run(env, logs[name], "-m", f"services.{name}", "migrate")
            if await asyncio.wait_for(migrate.wait(), 120) != 0:
                raise RuntimeError(f"{name} migrations failed:\n{logs[name].read_text()[-3000:]}")
            processes.append(await _run(env, logs[name], "-m", f"services.{name}", "serve"))
        try:
            yield Stack(
                endpoints=Endpoints(**urls, admin_token=LOCAL_ADMIN_TOKEN),
                pipeline=Pipeline(KAFKA_BOOTSTRAP, topics["ledger"], payouts_group),
                logs=logs,
                pids={name: p.pid for name, p in zip(SERVICES, processes, strict=True)},
                cli_env={
                    **{f"{name.upper()}_URL": url for name, url in urls.items()},
                    **{k: v for k, v in common.items() if k.startswith(("TOPIC_", "KAFKA_"))},
                    "ADMIN_TOKEN": LOCAL_ADMIN_TOKEN,
                    "LEDGER_DATABASE_URL": database_urls["ledger"],
                    "LOG_LEVEL": "WARNING",
                },
                database_urls=database_urls,
            )
        finally:
            await asyncio.gather(*(_stop(p) for p in processes))
