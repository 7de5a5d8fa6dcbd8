"""Shops on PostgreSQL: ``service.ports.ShopStore`` (creation, secret changes, resealing) and
``service.ports.ShopDirectory``, the shops the webhook edge reads: a group of webhooks' shops,
with their plans active at each placement's instant, in one query.

Runs on the asyncpg connection of a pooled connection, outside any transaction (reading a shop
and its plans needs no lock). Sealed secrets are opened once per distinct sealed value and
remembered (bounded): a webhook's verification then costs no decryption.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from services.orders.adapters.db.plans import plan_of
from services.orders.adapters.db.shops import (
    CURRENT,
    PREVIOUS,
    count_shops_to_reseal,
    get_shop,
    insert_shop_if_absent,
    lock_shop,
    lock_shops_to_reseal,
    place,
    save_secrets,
)
from services.orders.adapters.secret_box import SecretBox
from services.orders.domain.plans import Plan
from services.orders.domain.shop import Shop
from services.orders.service.ports import ShopWanted, ShopWithPlans

_SHOPS_WITH_PLANS = (
    "SELECT s.shop_id, s.region, s.currency, s.webhook_secret, s.previous_webhook_secret,"
    " s.previous_secret_expires_at,"
    " p.plan_id, p.type, p.rate_bps, p.skus, p.creator_ids, p.starts_at, p.ends_at"
    " FROM shops s LEFT JOIN plans p ON p.shop_id = s.shop_id AND EXISTS ("
    " SELECT FROM unnest($2::text[], $3::timestamptz[]) AS w(shop_id, at)"
    " WHERE w.shop_id = s.shop_id AND (p.starts_at IS NULL OR p.starts_at <= w.at)"
    " AND (p.ends_at IS NULL OR p.ends_at > w.at))"
    " WHERE s.shop_id = ANY($1::text[])"
)


class ShopRepository:
    """``ShopStore`` and ``ShopDirectory`` of ``services.orders.service.ports`` (see the module
    doc)."""

    def __init__(self, engine: AsyncEngine, box: SecretBox) -> None:
        self._engine = engine
        self._box = box
        self._open = lru_cache(maxsize=4096)(box.open)

    @property
    def active_kid(self) -> str:
        return self._box.active_kid

    async def add_if_absent(self, shop: Shop) -> tuple[Shop | None, bool]:
        async with self._engine.begin() as conn:
            if await insert_shop_if_absent(conn, shop, self._box):
                return shop, True
            return await get_shop(conn, shop.shop_id, self._box), False

    async def change(self, shop_id: str, change: Callable[[Shop], Shop]) -> Shop | None:
        async with self._engine.begin() as conn:
            shop = await lock_shop(conn, shop_id, self._box)
            if shop is None:
                return None
            changed = change(shop)
            await save_secrets(conn, changed, self._box)
        return changed

    async def reseal(self, batch_size: int) -> int:
        async with self._engine.begin() as conn:
            shops = await lock_shops_to_reseal(conn, self._box, batch_size)
            for shop in shops:
                await save_secrets(conn, shop, self._box)
        return len(shops)

    async def count_to_reseal(self) -> int:
        async with self._engine.connect() as conn:
            return await count_shops_to_reseal(conn, self._box)

    async def shops_with_plans(self, wanted: Sequence[ShopWanted]) -> list[ShopWithPlans | None]:
        shop_ids = sorted({w.shop_id for w in wanted})
        placements = [(w.shop_id, w.plans_at) for w in wanted if w.plans_at is not None]
        async with self._engine.connect() as conn:
            driver: asyncpg.Connection = (await conn.get_raw_connection()).driver_connection
            try:
                rows = await driver.fetch(
                    _SHOPS_WITH_PLANS,
                    shop_ids,
                    [shop for shop, _ in placements],
                    [at for _, at in placements],
                )
            except (asyncpg.InterfaceError, asyncpg.PostgresConnectionError, OSError):
                await conn.invalidate()
                raise
        shops: dict[str, Shop] = {}
        plans: dict[str, list[Plan]] = {}
        for row in rows:
            shop_id = row["shop_id"]
            if shop_id not in shops:
                shops[shop_id] = self._shop(row)
                plans[shop_id] = []
            if row["plan_id"] is not None:
                plans[shop_id].append(plan_of(row))
        return [_answer(w, shops, plans) for w in wanted]

    def _shop(self, row: asyncpg.Record) -> Shop:
        shop_id, previous = row["shop_id"], row["previous_webhook_secret"]
        return Shop(
            shop_id=shop_id,
            region=row["region"],
            currency=row["currency"],
            webhook_secret=self._open(row["webhook_secret"], place=place(shop_id, CURRENT)),
            previous_webhook_secret=None
            if previous is None
            else self._open(previous, place=place(shop_id, PREVIOUS)),
            previous_secret_expires_at=row["previous_secret_expires_at"],
        )


def _answer(
    wanted: ShopWanted, shops: dict[str, Shop], plans: dict[str, list[Plan]]
) -> ShopWithPlans | None:
    shop = shops.get(wanted.shop_id)
    if shop is None:
        return None
    at: datetime | None = wanted.plans_at
    active = () if at is None else tuple(p for p in plans[wanted.shop_id] if p.is_active(at))
    return ShopWithPlans(shop=shop, plans=active)
