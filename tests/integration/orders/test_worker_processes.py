"""The orders service run as several uvicorn worker processes (``ORDERS_HTTP_WORKERS``): one
port, every webhook recorded and published once, whichever process answers it."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.support.infra import wait_until
from tests.support.kafka import read_topic
from tests.support.orders import ADMIN, orders_database, placed_body, signed_headers

ROOT = Path(__file__).resolve().parents[3]
WORKERS = 2


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _worker_processes(pid: int) -> list[int]:
    """Children of ``pid`` that multiprocessing spawned to run a worker (not its helpers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if fields[1] == str(pid) and b"spawn_main" in command:
            found.append(int(stat.parent.name))
    return found


@asynccontextmanager
async def _served(url: str, topic: str) -> AsyncIterator[tuple[httpx.AsyncClient, int]]:
    port = _free_port()
    env = {
        **os.environ,
        "ORDERS_DATABASE_URL": url,
        "ORDERS_PORT": str(port),
        "TOPIC_ORDERS": topic,
        "ORDERS_HTTP_WORKERS": str(WORKERS),
        "LOG_LEVEL": "WARNING",
    }
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.orders", "serve", cwd=ROOT, env=env
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:

            async def ready() -> bool:
                try:
                    return (await client.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_until(ready, timeout_s=60, interval_s=0.2)
            yield client, server.pid
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), timeout=30)


async def test_several_worker_processes_record_and_publish_each_webhook_once() -> None:
    async with orders_database() as (url, topic), _served(url, topic) as (client, pid):
        shop = await client.post("/v1/shops", json={"shop_id": "s", "region": "UK"}, headers=ADMIN)
        secret = shop.json()["webhook_secret"]
        bodies = [placed_body(f"o-{n}") for n in range(40)]
        repeated = placed_body("o-repeat")
        repeat_headers = signed_headers(secret, repeated, webhook_id="msg_repeat")

        async def post(body: bytes, headers: dict[str, str]) -> httpx.Response:
            # A connection of its own each time, so the processes share the requests.
            async with httpx.AsyncClient(base_url=client.base_url, timeout=10) as own:
                return await own.post("/v1/shops/s/webhooks", content=body, headers=headers)

        answers = await asyncio.gather(
            *(post(body, signed_headers(secret, body)) for body in bodies),
            *(post(repeated, repeat_headers) for _ in range(10)),
        )
        processes = _worker_processes(pid)
        records = await read_topic(topic, expected=41, timeout_s=30)

    assert len(processes) == WORKERS
    assert [a.status_code for a in answers] == [202] * 50
    assert len({a.json()["event_id"] for a in answers[40:]}) == 1
    assert sorted(r.key for r in records if r.key) == sorted(
        [f"o-{n}".encode() for n in range(40)] + [b"o-repeat"]
    )
