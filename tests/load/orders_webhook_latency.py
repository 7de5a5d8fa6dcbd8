"""Webhook latency of a real orders process (uvicorn) at a fixed arrival rate, on loopback.

    .venv/bin/python -m tests.load.orders_webhook_latency --rate 1000 --seconds 10

Starts its own orders process on a fresh database and a unique topic (nothing shared is touched),
sends signed ``order.placed`` webhooks open-loop at ``--rate`` per second for ``--seconds``, and
prints the latency percentiles seen by the client, the client's and the server's CPU per
webhook (all server processes). With ``--workers N`` the server's own histogram is that of the
process that answered the ``/metrics`` request. Bounded in count and time; stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

import httpx

from shared.db.migrations import upgrade_to_head
from shared.kafka.topics import ensure_topics
from tests.support.infra import KAFKA_BOOTSTRAP, fresh_database, unique_name
from tests.support.orders import ADMIN, MIGRATIONS, placed_body, signed_headers

ROOT = Path(__file__).resolve().parents[2]


async def _wait_ready(client: httpx.AsyncClient, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise TimeoutError("the orders process did not become ready")


async def run(rate: int, seconds: float, port: int, workers: int) -> None:
    topic = unique_name("orders_load")
    await ensure_topics(KAFKA_BOOTSTRAP, [topic])
    async with fresh_database("orders_load") as (url, _):
        await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
        env = {
            **os.environ,
            "ORDERS_DATABASE_URL": url,
            "ORDERS_PORT": str(port),
            "TOPIC_ORDERS": topic,
            "LOG_LEVEL": "WARNING",
            "ORDERS_HTTP_WORKERS": str(workers),
        }
        server = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.orders", "serve", cwd=ROOT, env=env
        )
        try:
            limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=10
            ) as client:
                await _wait_ready(client, 60)
                cpu_before = _tree_cpu_seconds(server.pid)
                await _measure(client, rate, seconds, port)
                cpu_ms = (_tree_cpu_seconds(server.pid) - cpu_before) * 1000
                print(
                    f"server CPU ({workers} worker(s)): {cpu_ms / (rate * seconds):.2f} ms "
                    "per webhook"
                )
        finally:
            server.terminate()
            await asyncio.wait_for(server.wait(), timeout=20)


async def _measure(client: httpx.AsyncClient, rate: int, seconds: float, port: int) -> None:
    created = await client.post(
        "/v1/shops", json={"shop_id": "load", "region": "UK"}, headers=ADMIN
    )
    secret = created.json()["webhook_secret"]
    await client.post("/v1/shops/load/plans", json={"type": "shop", "rate_bps": 500}, headers=ADMIN)
    total = int(rate * seconds)
    requests = [_raw_request(secret, placed_body(f"load-{n}")) for n in range(total)]
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(CONNECTIONS):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def send(request: bytes, due: float) -> None:
        reader, writer = await pool.get()
        writer.write(request)
        status = await _read_response(reader)
        latencies.append(time.perf_counter() - due)  # from the planned send time (open loop)
        statuses[status] = statuses.get(status, 0) + 1
        pool.put_nowait((reader, writer))

    tasks = []
    client_cpu = time.process_time()
    begin = time.perf_counter()
    for n, request in enumerate(requests):
        due = begin + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(request, due)))
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 60)
    elapsed = time.perf_counter() - begin
    client_cpu = time.process_time() - client_cpu
    while not pool.empty():
        pool.get_nowait()[1].close()
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"sent {total} in {elapsed:.1f}s ({total / elapsed:.0f}/s) statuses={statuses} "
        f"p50={cuts[49] * 1000:.1f}ms p90={cuts[89] * 1000:.1f}ms p99={cuts[98] * 1000:.1f}ms "
        f"max={max(latencies) * 1000:.1f}ms; client CPU {client_cpu / total * 1000:.2f} ms "
        "per request"
    )
    metrics = (await client.get("/metrics")).text
    print("server side:", _server_quantiles(metrics))


CONNECTIONS = 64


def _tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and its children (Linux /proc)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _raw_request(secret: str, body: bytes) -> bytes:
    """A pre-signed HTTP/1.1 request, so the client spends no time per request on signing."""
    headers = signed_headers(secret, body)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return (
        f"POST /v1/shops/load/webhooks HTTP/1.1\r\nhost: 127.0.0.1\r\n{head}"
        f"content-length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


def _server_quantiles(metrics: str) -> str:
    """p50 / p99 upper bounds from the server's request duration histogram for webhooks."""
    buckets: list[tuple[float, float]] = []
    for line in metrics.splitlines():
        if line.startswith("http_request_duration_seconds_bucket") and "webhooks" in line:
            upper = line.split('le="', 1)[1].split('"', 1)[0]
            buckets.append((float(upper), float(line.rsplit(" ", 1)[1])))
    if not buckets:
        return "no webhook histogram"
    count = buckets[-1][1]
    found = []
    for quantile in (0.5, 0.99):
        bound = next(b for b, c in buckets if c >= quantile * count)
        found.append(f"p{int(quantile * 100)}<={bound * 1000:g}ms")
    return " ".join(found) + f" of {int(count)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--port", type=int, default=18101)
    parser.add_argument("--workers", type=int, default=1, help="orders worker processes")
    args = parser.parse_args()
    asyncio.run(run(args.rate, min(args.seconds, 120), args.port, args.workers))


if __name__ == "__main__":
    main()
