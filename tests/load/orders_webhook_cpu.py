"""CPU time the orders app spends per accepted webhook, measured inside one process.

    .venv/bin/python -m tests.load.orders_webhook_cpu --count 3000 --concurrency 16

Builds the app on a fresh database and a unique topic (nothing shared is touched), runs its
lifespan (the outbox relay publishes to Kafka meanwhile), and calls the ASGI app directly with
pre-signed ``order.placed`` requests, ``--concurrency`` at a time. Prints this process's CPU time
per webhook (``time.process_time``: what the service would spend, without an HTTP client or
server in the same process, and without PostgreSQL's own CPU) and the wall time. On a machine
shared with other work, CPU time is the number that stays comparable between runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path
from typing import Any

import httpx
import uvloop
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.orders.app import create_app
from services.orders.settings import OrdersSettings
from tests.support.orders import ADMIN, orders_database, placed_body, signed_headers


def _scope(path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    raw += [(b"host", b"orders"), (b"content-length", str(len(body)).encode())]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8001),
    }


async def _call(app: Any, scope: dict[str, Any], body: bytes) -> int:
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # a disconnect never comes; the call ends first
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def run(count: int, concurrency: int) -> None:
    async with orders_database() as (url, topic):
        settings = OrdersSettings.model_validate(
            {"database_url_override": url, "topic_orders": topic, "log_level": "WARNING"}
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://o") as client:
                created = await client.post(
                    "/v1/shops", json={"shop_id": "cpu", "region": "UK"}, headers=ADMIN
                )
                secret = created.json()["webhook_secret"]
                await client.post(
                    "/v1/shops/cpu/plans", json={"type": "shop", "rate_bps": 500}, headers=ADMIN
                )
            requests = []
            for n in range(count):
                body = placed_body(f"cpu-{n}")
                scope = _scope("/v1/shops/cpu/webhooks", signed_headers(secret, body), body)
                requests.append((scope, body))
            statuses: dict[int, int] = {}
            queue = list(reversed(requests))

            async def worker() -> None:
                while queue:
                    scope, body = queue.pop()
                    status = await _call(app, scope, body)
                    statuses[status] = statuses.get(status, 0) + 1

            engine = app.state.orders.engine
            pg0 = await _backend_cpu_seconds(engine)
            cpu0, wall0 = time.process_time(), time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            pg1 = await _backend_cpu_seconds(engine)
            pg = sum(seconds - pg0.get(pid, 0.0) for pid, seconds in pg1.items())
            groups = app.state.orders.intake.groups.groups_flushed
            print(
                f"{count} webhooks, concurrency {concurrency}, {count / max(groups, 1):.1f} per "
                f"group: statuses={statuses} "
                f"CPU {cpu / count * 1000:.2f} ms per webhook (PostgreSQL backends "
                f"{pg / count * 1000:.2f} ms), wall {wall:.1f}s ({count / wall:.0f}/s)"
            )


async def _backend_cpu_seconds(engine: AsyncEngine) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to the engine's database (read
    from /proc: PostgreSQL runs on this machine). Backends that ended are not counted."""
    async with engine.connect() as conn:
        pids = (
            await conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            )
        ).scalars()
        return {pid: seconds for pid in pids if (seconds := _cpu_seconds(pid)) is not None}


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far, None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    # uvloop, as under uvicorn in production.
    uvloop.run(run(min(args.count, 100_000), args.concurrency))


if __name__ == "__main__":
    main()
