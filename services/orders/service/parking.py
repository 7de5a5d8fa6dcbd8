"""Parking: an order whose placement never comes does not keep its held facts in the hot table
forever. A worker moves the held facts of orders that have waited longer than ``park_after`` to
``parked_orders`` (batch by batch, rows a webhook holds are skipped) and reports how many are
parked; the order's next webhook (its placement, say) takes them back, so nothing accepted
is lost.

Metrics: ``orders_parked_total`` (orders parked by this process) and ``orders_parked_now`` /
``orders_parked_oldest_age_seconds`` (all parked orders now, refreshed each sweep). Many parked
orders mean a shop sends deliveries, refunds or cancellations for orders it never placed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from prometheus_client import CollectorRegistry, Counter, Gauge

from services.orders.service.ports import ParkingStore
from shared.logging import get_logger
from shared.stopping import repeat

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ParkingMetrics:
    parked: Counter
    parked_now: Gauge
    oldest_age: Gauge

    @classmethod
    def register(cls, registry: CollectorRegistry) -> ParkingMetrics:
        return cls(
            parked=Counter(
                "orders_parked",
                "Orders never placed whose held facts this process parked.",
                registry=registry,
            ),
            parked_now=Gauge(
                "orders_parked_now", "Orders whose held facts are parked now.", registry=registry
            ),
            oldest_age=Gauge(
                "orders_parked_oldest_age_seconds",
                "Seconds since the oldest parked order was parked (0 when none).",
                registry=registry,
            ),
        )


@dataclass(frozen=True, slots=True)
class Parking:
    store: ParkingStore
    park_after: timedelta
    sweep_every_s: float
    metrics: ParkingMetrics
    batch_size: int = 1_000

    async def sweep(self) -> int:
        """Park every order that has waited longer than ``park_after``; returns how many."""
        total = 0
        waited_s = self.park_after.total_seconds()
        while True:
            parked = await self.store.park_stale(waited_s=waited_s, limit=self.batch_size)
            total += parked
            if parked < self.batch_size:
                break
        if total:
            self.metrics.parked.inc(total)
            log.warning("orders_parked", count=total, waited_longer_than=str(self.park_after))
        now_parked = await self.store.parked_count()
        self.metrics.parked_now.set(now_parked.orders)
        self.metrics.oldest_age.set(now_parked.oldest_age_s)
        return total

    async def run(self, stop: asyncio.Event) -> None:
        """The worker: a sweep every ``sweep_every_s`` until ``stop``."""
        await repeat(stop, self.sweep_every_s, self.sweep, name="orders_parking")
