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

import httpx
from standardwebhooks.webhooks import Webhook


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
    result = LoadResult(rate_per_s=rate_per_s)
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        loop = asyncio.get_running_loop()
        start = loop.time()

        async def one(index: int, request: SignedRequest) -> None:
            scheduled = start + index / rate_per_s
            sent_at = time.time()
            try:
                response = await client.post(
                    request.url, content=request.body, headers=request.headers
                )
                ok = response.status_code == 202
            except httpx.HTTPError:
                ok = False
            result.latencies_ms.append((loop.time() - scheduled) * 1000)
            if ok:
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
    return result
