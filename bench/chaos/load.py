"""Steady mixed webhook load, as shops send it: placements, deliveries, refunds and cancellations,
some repeated (same webhook-id and body) and some out of order (a delivery before its placement).

Deliveries are backdated so each order's after-sales window closes a few seconds after it is
sent: releases and payouts happen while the matrix runs. Every webhook is retried, like a shop's
sender does, on a connection error, a 429 or a 5xx, on the other orders replica, until it is
accepted or its retry window ends; the event ids of accepted ones are what I3 compares with.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from bench.chaos.stack import ADMIN

RETRY_WINDOW_S = 75.0
"""How long one webhook is retried (longer than any scenario's outage)."""
REQUEST_TIMEOUT_S = 5.0
FLUSH_S = 30.0
MAX_IN_FLIGHT = 48
"""Deliveries (with their retries) under way at once; a tick with none free is shed (counted):
on a shared 2-core box the offered rate must not pile up unbounded work."""
DUPLICATE_SHARE = 0.05
HISTORY = 2000
"""Repeats are drawn from about this many of the latest deliveries."""
OUT_OF_ORDER_SHARE = 0.08
CANCEL_SHARE = 0.10
REFUND_SHARE = 0.25
RELEASE_IN_S = (1.0, 6.0)
"""A delivered order's window closes this many seconds after its delivery is sent."""
REGIONS = {"UK": ("GBP", 14, 1), "ID": ("IDR", 6, 1000)}
"""region -> (currency, after-sales window days, price factor)."""


@dataclass(frozen=True)
class Shop:
    shop_id: str
    secret: str
    region: str


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery: its id and body stay the same on every retry and repeat."""

    shop: Shop
    webhook_id: str
    body: bytes


@dataclass
class LoadStats:
    sent: int = 0
    attempts: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    accepted_ids: set[str] = field(default_factory=set)
    rejected: Counter[int] = field(default_factory=Counter)
    gave_up: int = 0
    shed: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "webhooks_sent": self.sent,
            "attempts": self.attempts,
            "duplicates": self.duplicates,
            "out_of_order": self.out_of_order,
            "accepted_event_ids": len(self.accepted_ids),
            "rejected": {str(k): v for k, v in sorted(self.rejected.items())},
            "gave_up": self.gave_up,
            "shed_ticks": self.shed,
        }


def open_shops(orders_url: str, run_id: str, per_region: int = 3) -> list[Shop]:
    shops = []
    with httpx.Client(base_url=orders_url, headers=ADMIN, timeout=30) as client:
        for region in REGIONS:
            for n in range(per_region):
                shop_id = f"chaos-{run_id}-{region.lower()}-{n}"
                created = client.post("/v1/shops", json={"shop_id": shop_id, "region": region})
                created.raise_for_status()
                plans = [
                    {"type": "shop", "rate_bps": 500},
                    {"type": "targeted", "rate_bps": 2000, "skus": ["A"], "creator_ids": ["c-1"]},
                ]
                for plan in plans:
                    client.post(f"/v1/shops/{shop_id}/plans", json=plan).raise_for_status()
                shops.append(Shop(shop_id, created.json()["webhook_secret"], region))
    return shops


class MixedLoad:
    """Sends at `rate` per second over the orders replicas until stopped; bounded everywhere."""

    def __init__(self, orders_urls: list[str], shops: list[Shop], run_id: str, seed: int) -> None:
        self.orders_urls = orders_urls
        self.shops = shops
        self.run_id = run_id
        self.stats = LoadStats()
        self._rng = random.Random(seed)
        self._orders = itertools.count()
        self._followups: list[tuple[float, int, Delivery]] = []
        self._seq = itertools.count()
        self._history: list[Delivery] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._client = httpx.AsyncClient(
            timeout=REQUEST_TIMEOUT_S, limits=httpx.Limits(max_connections=64)
        )
        self._loop = asyncio.get_running_loop()

    async def run(self, rate: float, stop: asyncio.Event, max_s: float) -> None:
        """Offer `rate` webhooks/s until `stop` is set (or `max_s` passed), then send the
        follow-ups still scheduled (so no held delivery waits for a placement forever)."""
        start = self._loop.time()
        for tick in itertools.count():
            now = self._loop.time()
            if stop.is_set() or now - start > max_s:
                break
            delay = start + tick / rate - now
            await asyncio.sleep(max(0.0, delay))
            if len(self._tasks) >= MAX_IN_FLIGHT:
                self.stats.shed += 1
                continue
            self._send(self._next())
        flush_until = self._loop.time() + FLUSH_S
        while self._followups and self._loop.time() < flush_until:
            if len(self._tasks) < MAX_IN_FLIGHT:
                self._send(heapq.heappop(self._followups)[2])
            await asyncio.sleep(0.5 / rate)

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout_s: float = RETRY_WINDOW_S + 15) -> None:
        """Wait for every delivery's retries to end (each is bounded by its retry window)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout_s)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self._client.aclose()

    def _next(self) -> Delivery:
        now = self._loop.time()
        if self._followups and self._followups[0][0] <= now:
            return heapq.heappop(self._followups)[2]
        if self._history and self._rng.random() < DUPLICATE_SHARE:
            self.stats.duplicates += 1
            return self._rng.choice(self._history)
        return self._new_order()

    def _later(self, after_s: float, delivery: Delivery) -> None:
        heapq.heappush(self._followups, (self._loop.time() + after_s, next(self._seq), delivery))

    def _new_order(self) -> Delivery:
        n = next(self._orders)
        shop = self.shops[n % len(self.shops)]
        currency, window_days, factor = REGIONS[shop.region]
        order_id = f"o-{self.run_id}-{n}"
        wall = datetime.now(UTC)
        window_start = wall - timedelta(days=window_days + 1)
        placed = self._delivery(
            shop,
            "order.placed",
            window_start - timedelta(hours=1),
            _placement(order_id, currency, factor, f"c-{n % 20}"),
        )
        rng = self._rng
        if rng.random() < CANCEL_SHARE:
            cancel_at = window_start - timedelta(minutes=30)
            self._later(
                rng.uniform(0.3, 2),
                self._delivery(shop, "order.cancelled", cancel_at, {"order_id": order_id}),
            )
            return placed
        # Sent within ~3 s, so the window closes RELEASE_IN_S after it is sent.
        send_in = rng.uniform(0.3, 3.0)
        delivered_at = window_start + timedelta(seconds=send_in + rng.uniform(*RELEASE_IN_S))
        delivered = self._delivery(shop, "order.delivered", delivered_at, {"order_id": order_id})
        if rng.random() < REFUND_SHARE:
            amount = (4299 if rng.random() < 0.2 else 1000) * factor
            refund = {"order_id": order_id, "refund_id": f"r-{n}", "amount": amount}
            self._later(
                send_in + rng.uniform(0.5, 12),
                self._delivery(shop, "order.refunded", wall - timedelta(seconds=30), refund),
            )
        if rng.random() < OUT_OF_ORDER_SHARE:
            self.stats.out_of_order += 1
            self._later(0.5, placed)
            return delivered
        self._later(send_in, delivered)
        return placed

    def _delivery(
        self, shop: Shop, kind: str, occurred_at: datetime, data: dict[str, Any]
    ) -> Delivery:
        body = {"type": kind, "occurred_at": occurred_at.isoformat(), "data": data}
        webhook_id = f"msg-{self.run_id}-{next(self._seq)}"
        return Delivery(shop, webhook_id, json.dumps(body).encode())

    def _send(self, delivery: Delivery) -> None:
        self.stats.sent += 1
        self._history.append(delivery)
        if len(self._history) > 2 * HISTORY:
            del self._history[:HISTORY]
        task = asyncio.create_task(self._deliver(delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, delivery: Delivery) -> None:
        deadline = self._loop.time() + RETRY_WINDOW_S
        for attempt in itertools.count():
            url = self.orders_urls[(self.stats.attempts + attempt) % len(self.orders_urls)]
            self.stats.attempts += 1
            status, body = await self._post(url, delivery)
            if status == 202:
                self.stats.accepted_ids.add(json.loads(body)["event_id"])
                return
            if status and status != 429 and status < 500:
                self.stats.rejected[status] += 1
                return
            if self._loop.time() > deadline:
                self.stats.gave_up += 1
                return
            await asyncio.sleep(min(2.0, 0.1 * 2**attempt))

    async def _post(self, base_url: str, delivery: Delivery) -> tuple[int, bytes]:
        now = datetime.now(UTC)
        text = delivery.body.decode()
        headers = {
            "webhook-id": delivery.webhook_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(delivery.shop.secret).sign(delivery.webhook_id, now, text),
            "content-type": "application/json",
        }
        path = f"/v1/shops/{delivery.shop.shop_id}/webhooks"
        try:
            response = await self._client.post(
                f"{base_url}{path}", content=delivery.body, headers=headers
            )
        except httpx.HTTPError:
            return 0, b""
        return response.status_code, response.content


def _placement(order_id: str, currency: str, factor: int, creator_id: str) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "currency": currency,
        "lines": [
            {"sku": "A", "quantity": 2, "unit_price": 1500 * factor, "discount": 0},
            {"sku": "B", "quantity": 1, "unit_price": 1000 * factor, "discount": 100 * factor},
        ],
        "shipping_fee": 399 * factor,
        "creator_id": creator_id,
        "agency": {"agency_id": "mcn-chaos", "share_bps": 2000},
    }
