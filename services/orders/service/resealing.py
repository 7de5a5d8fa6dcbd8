"""The resealing worker: keeps every stored webhook secret sealed under the active key.

At start and then every ``every_s`` it rewrites the secrets of shops stored plain (before
encryption at rest) or under a key being rotated out, and reports how many are left in the gauge
``orders_shops_to_reseal``. Rotating the key: list the new key first in ``ORDERS_SECRET_KEYS``,
keep the old one after it, restart; once the gauge reads 0 on every replica, drop the old key.
"""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry, Gauge

from services.orders.service.shops import ShopKeeping, reseal_secrets, shops_to_reseal
from shared.logging import get_logger
from shared.stopping import repeat

log = get_logger(__name__)


class Resealing:
    def __init__(self, keeping: ShopKeeping, every_s: float, registry: CollectorRegistry) -> None:
        self._keeping = keeping
        self._every_s = every_s
        self._left = Gauge(
            "orders_shops_to_reseal",
            "Shops whose webhook secrets are stored plain or under a key other than the active.",
            registry=registry,
        )

    async def once(self) -> int:
        resealed = await reseal_secrets(self._keeping)
        if resealed:
            log.info("webhook_secrets_resealed", shops=resealed, kid=self._keeping.store.active_kid)
        self._left.set(await shops_to_reseal(self._keeping))
        return resealed

    async def run(self, stop: asyncio.Event) -> None:
        await repeat(stop, self._every_s, self.once, name="webhook_secrets_reseal")
