"""Use cases of shops: creation (idempotent) and webhook secret rotation."""

from __future__ import annotations

import base64
import secrets
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncEngine

from services.orders.adapters.db.shops import (
    Shop,
    get_shop,
    insert_shop_if_absent,
    lock_shop,
    save_secrets,
)
from services.orders.service.errors import ShopConflict, ShopNotFound, UnknownRegion
from shared.regions import UnknownRegionError, region_terms

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret
_SECRET_BYTES = 32


def new_webhook_secret() -> str:
    """A fresh Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


async def create_shop(engine: AsyncEngine, shop_id: str, region: str) -> tuple[Shop, bool]:
    """Create the shop, or return the existing one if it has the same region.

    Returns ``(shop, created)``. Raises ``UnknownRegion`` (422) or ``ShopConflict`` (409) when
    the shop exists in another region.
    """
    try:
        currency = region_terms(region).currency
    except UnknownRegionError:
        raise UnknownRegion(f"region {region!r} is not configured") from None
    candidate = Shop(shop_id, region, currency, new_webhook_secret(), None)
    async with engine.begin() as conn:
        created = await insert_shop_if_absent(conn, candidate)
        shop = candidate if created else await get_shop(conn, shop_id)
    if shop is None:  # pragma: no cover - a shop is never deleted
        raise ShopNotFound(f"shop {shop_id} vanished")
    if shop.region != region:
        raise ShopConflict(f"shop {shop_id} exists in region {shop.region}, not {region}")
    return shop, created


async def find_shop(engine: AsyncEngine, shop_id: str) -> Shop:
    async with engine.connect() as conn:
        shop = await get_shop(conn, shop_id)
    if shop is None:
        raise ShopNotFound(f"no shop {shop_id}")
    return shop


async def rotate_secret(engine: AsyncEngine, shop_id: str) -> Shop:
    """Make a new secret current; the old one keeps verifying until ``retire_secret``.

    Only two secrets live at once: rotating again before retiring is a ``ShopConflict``.
    """
    async with engine.begin() as conn:
        shop = await lock_shop(conn, shop_id)
        if shop is None:
            raise ShopNotFound(f"no shop {shop_id}")
        if shop.previous_webhook_secret is not None:
            raise ShopConflict(f"shop {shop_id} has a previous secret; retire it before rotating")
        rotated = replace(
            shop, webhook_secret=new_webhook_secret(), previous_webhook_secret=shop.webhook_secret
        )
        await save_secrets(conn, rotated)
    return rotated


async def retire_secret(engine: AsyncEngine, shop_id: str) -> Shop:
    """Stop accepting the pre-rotation secret (idempotent: nothing to retire is fine)."""
    async with engine.begin() as conn:
        shop = await lock_shop(conn, shop_id)
        if shop is None:
            raise ShopNotFound(f"no shop {shop_id}")
        retired = replace(shop, previous_webhook_secret=None)
        await save_secrets(conn, retired)
    return retired
