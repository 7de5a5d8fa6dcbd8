"""/livez and /readyz while PostgreSQL goes away and comes back.

The test runs its own PostgreSQL cluster (the project's script, another port and state directory)
so stopping it disturbs nothing else.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from shared.service.runtime import ServiceRuntime, build_app
from shared.settings import ServiceSettings
from tests.support.infra import SETTINGS

ROOT = Path(__file__).resolve().parents[2]


def free_port_below_ephemeral_range() -> int:
    """A free port under Linux's ephemeral range (32768+), so no client connection can be
    holding it while the test's PostgreSQL is down and starts again."""
    rng = random.Random()
    for _ in range(100):
        port = rng.randrange(20_000, 32_000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found for the test's PostgreSQL")


OUTAGE_PG_PORT = int(os.environ.get("OUTAGE_TEST_PG_PORT", free_port_below_ephemeral_range()))


@contextmanager
def own_postgres() -> Iterator[dict[str, str]]:
    with tempfile.TemporaryDirectory(prefix="pg-outage-") as state_dir:
        env = {**os.environ, "SETTLEMENT_STATE_DIR": state_dir, "PG_PORT": str(OUTAGE_PG_PORT)}
        postgres(env, "start")
        try:
            yield env
        finally:
            postgres(env, "stop")


def postgres(env: dict[str, str], action: str) -> None:
    done = subprocess.run(
        [str(ROOT / "deploy/local/postgres.sh"), action],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"postgres.sh {action} failed:\n{done.stdout}{done.stderr}"


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            yield client


async def ready_status(client: httpx.AsyncClient, want: int, timeout_s: float = 30) -> int:
    """Poll /readyz until it answers `want` (bounded); returns the last status seen."""
    status = 0
    for _ in range(int(timeout_s / 0.25)):
        status = (await client.get("/readyz")).status_code
        if status == want:
            break
        await asyncio.sleep(0.25)
    return status


async def test_livez_stays_up_and_readyz_follows_the_database_down_and_back() -> None:
    with own_postgres() as env:
        settings = ServiceSettings(  # connects as the ledger's role, like the ledger does
            service_name="ledger",
            pg_port=OUTAGE_PG_PORT,
            database_name="ledger",
            kafka_bootstrap_servers=SETTINGS.kafka_bootstrap_servers,
        )
        runtime = ServiceRuntime.from_settings(settings)
        app = build_app(runtime, title="probe", description="probe", routers=[])
        async with running(app) as client:
            assert await ready_status(client, 200) == 200

            await asyncio.to_thread(postgres, env, "stop")
            assert await ready_status(client, 503) == 503
            body = (await client.get("/readyz")).json()
            assert body["checks"] == {"database": "failed", "kafka": "ok", "revocations": "ok"}
            assert (await client.get("/livez")).status_code == 200

            await asyncio.to_thread(postgres, env, "start")
            assert await ready_status(client, 200) == 200
