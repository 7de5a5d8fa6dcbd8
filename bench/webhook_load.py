"""Open-loop webhook load: order.placed deliveries sent on a fixed schedule, whatever the answers.

Each request's latency is measured from its *scheduled* send time, so a slow server cannot hide
queueing behind a slower client (no coordinated omission). Requests are signed before the clock
starts so signing does not limit the rate.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook

# Keep-alive connections to the server; requests beyond this many wait for a free one (and are
# late all the same: latency is measured from the scheduled send time).
MAX_IN_FLIGHT = 64


@dataclass(frozen=True)
class SignedRequest:
    url: str
    order_id: str
    body: bytes
    headers: dict[str, str]


@dataclass
class LoadResult:
    rate_per_s: float
    sent: int = 0
    accepted: int = 0
    failed: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    sent_at: dict[str, float] = field(default_factory=dict)  # accepted order id -> wall clock
    elapsed_s: float = 0.0

    def percentile_ms(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def placement(order_id: str, creator_id: str, now: datetime) -> bytes:
    data = {
        "order_id": order_id,
        "currency": "GBP",
        "lines": [
            {"sku": "A", "quantity": 2, "unit_price": 1500, "discount": 0},
            {"sku": "B", "quantity": 1, "unit_price": 1000, "discount": 100},
        ],
        "shipping_fee": 399,
        "creator_id": creator_id,
        "agency": {"agency_id": "mcn-bench", "share_bps": 2000},
    }
    occurred_at = (now - timedelta(minutes=1)).isoformat()
    return json.dumps({"type": "order.placed", "occurred_at": occurred_at, "data": data}).encode()


def sign_placements(
    orders_url: str, shops: list[tuple[str, str]], count: int, run_id: str
) -> list[SignedRequest]:
    """`count` placements spread over `shops` ((shop id, webhook secret) pairs)."""
    now = datetime.now(UTC)
    requests = []
    for n in range(count):
        shop_id, secret = shops[n % len(shops)]
        order_id = f"bench-{run_id}-{n}"
        body = placement(order_id, f"creator-{n % 50}", now)
        webhook_id = f"msg-{order_id}"
        headers = {
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(webhook_id, now, body.decode()),
            "content-type": "application/json",
        }
        requests.append(
            SignedRequest(f"{orders_url}/v1/shops/{shop_id}/webhooks", order_id, body, headers)
        )
    return requests


async def send_open_loop(requests: list[SignedRequest], rate_per_s: float) -> LoadResult:
    """Send on schedule over a pool of raw HTTP/1.1 keep-alive connections (a Python HTTP client
    library costs more CPU per request than the server under test, on a 2-core machine)."""
    result = LoadResult(rate_per_s=rate_per_s)
    if not requests:
        return result
    target = urlsplit(requests[0].url)
    host, port = target.hostname or "127.0.0.1", target.port or 80
    raw = [_raw(request, host) for request in requests]
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(MAX_IN_FLIGHT):
        pool.put_nowait(await asyncio.open_connection(host, port))
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def one(index: int, request: SignedRequest) -> None:
        scheduled = start + index / rate_per_s
        sent_at = time.time()
        # Waiting for a free connection counts in the latency (measured from `scheduled`).
        reader, writer = await pool.get()
        try:
            writer.write(raw[index])
            status = await _read_status(reader)
        except (OSError, asyncio.IncompleteReadError):
            status = 0
            writer.close()
            reader, writer = await asyncio.open_connection(host, port)
        pool.put_nowait((reader, writer))
        result.latencies_ms.append((loop.time() - scheduled) * 1000)
        if status == 202:
            result.accepted += 1
            result.sent_at[request.order_id] = sent_at
        else:
            result.failed += 1

    tasks = []
    for index, request in enumerate(requests):
        delay = start + index / rate_per_s - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, request)))
        result.sent += 1
    await asyncio.gather(*tasks)
    result.elapsed_s = loop.time() - start
    while not pool.empty():
        pool.get_nowait()[1].close()
    return result


def _raw(request: SignedRequest, host: str) -> bytes:
    path = urlsplit(request.url).path
    head = "".join(f"{name}: {value}\r\n" for name, value in request.headers.items())
    return (
        f"POST {path} HTTP/1.1\r\nhost: {host}\r\n{head}content-length: {len(request.body)}\r\n\r\n"
    ).encode() + request.body


async def _read_status(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return int(head.split(b" ", 2)[1])
