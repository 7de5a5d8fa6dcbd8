"""Use cases of shops: creation (idempotent), webhook secret rotation, and resealing secrets
under the active key.

A secret is shown once: when the shop is created, or when it is rotated. Creating an existing
shop again answers the shop without it. After a rotation the previous secret keeps verifying
for a grace period (``previous_secret_grace``, default 24 h) or until retired, whichever is
first; rotating again once it expired replaces it, before that is a ``ShopConflict``.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from services.orders.domain.shop import Shop
from services.orders.service.errors import ShopConflict, ShopNotFound, UnknownRegion
from services.orders.service.ports import ShopStore
from shared.regions import UnknownRegionError, region_terms

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret
_SECRET_BYTES = 32


def new_webhook_secret() -> str:
    """A fresh Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


@dataclass(frozen=True, slots=True)
class ShopKeeping:
    """What the shop use cases need: the shops, the clock and the grace period of a rotated-out
    secret."""

    store: ShopStore
    clock: Callable[[], datetime]
    previous_secret_grace: timedelta = timedelta(hours=24)


async def create_shop(keeping: ShopKeeping, shop_id: str, region: str) -> tuple[Shop, bool]:
    """Create the shop, or return the existing one if it has the same region.

    Returns ``(shop, created)``. Raises ``UnknownRegion`` (422) or ``ShopConflict`` (409) when
    the shop exists in another region.
    """
    try:
        currency = region_terms(region).currency
    except UnknownRegionError:
        raise UnknownRegion(f"region {region!r} is not configured") from None
    candidate = Shop(shop_id, region, currency, new_webhook_secret(), None)
    shop, created = await keeping.store.add_if_absent(candidate)
    if shop is None:  # pragma: no cover - a shop is never deleted
        raise ShopNotFound(f"no shop {shop_id}")
    if shop.region != region:
        raise ShopConflict(f"shop {shop_id} exists in region {shop.region}, not {region}")
    return shop, created


async def rotate_secret(keeping: ShopKeeping, shop_id: str) -> Shop:
    """Make a new secret current; the old one keeps verifying until retired or expired.

    Only two secrets live at once: rotating again while the previous one is still valid is a
    ``ShopConflict``.
    """
    now = keeping.clock()

    def rotate(shop: Shop) -> Shop:
        if shop.previous_secret_valid(now):
            raise ShopConflict(
                f"shop {shop_id} has a previous secret valid until "
                f"{shop.previous_secret_expires_at}; retire it before rotating"
            )
        return replace(
            shop,
            webhook_secret=new_webhook_secret(),
            previous_webhook_secret=shop.webhook_secret,
            previous_secret_expires_at=now + keeping.previous_secret_grace,
        )

    rotated = await keeping.store.change(shop_id, rotate)
    if rotated is None:
        raise ShopNotFound(f"no shop {shop_id}")
    return rotated


async def retire_secret(keeping: ShopKeeping, shop_id: str) -> Shop:
    """Stop accepting the pre-rotation secret (idempotent: nothing to retire is fine)."""
    retired = await keeping.store.change(
        shop_id,
        lambda shop: replace(shop, previous_webhook_secret=None, previous_secret_expires_at=None),
    )
    if retired is None:
        raise ShopNotFound(f"no shop {shop_id}")
    return retired


async def reseal_secrets(keeping: ShopKeeping, batch_size: int = 500) -> int:
    """Rewrite every shop's secrets sealed under the active key (stored plain before
    encryption, or under a key being rotated out); returns how many shops were rewritten."""
    total = 0
    while True:
        resealed = await keeping.store.reseal(batch_size)
        total += resealed
        if resealed < batch_size:
            return total


async def shops_to_reseal(keeping: ShopKeeping) -> int:
    return await keeping.store.count_to_reseal()
