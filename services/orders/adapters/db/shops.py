"""SQL for shops and their webhook secrets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.orders.adapters.db.tables import shops


@dataclass(frozen=True, slots=True)
class Shop:
    """A shop as stored. ``previous_webhook_secret`` is set between a rotation and its retirement;
    both secrets then verify webhooks."""

    shop_id: str
    region: str
    currency: str
    webhook_secret: str
    previous_webhook_secret: str | None

    @property
    def valid_secrets(self) -> tuple[str, ...]:
        """Secrets a webhook may be signed with, newest first."""
        if self.previous_webhook_secret is None:
            return (self.webhook_secret,)
        return (self.webhook_secret, self.previous_webhook_secret)


def _shop(row: Any) -> Shop:
    return Shop(
        shop_id=row.shop_id,
        region=row.region,
        currency=row.currency,
        webhook_secret=row.webhook_secret,
        previous_webhook_secret=row.previous_webhook_secret,
    )


_COLUMNS = (
    shops.c.shop_id,
    shops.c.region,
    shops.c.currency,
    shops.c.webhook_secret,
    shops.c.previous_webhook_secret,
)


async def get_shop(conn: AsyncConnection, shop_id: str) -> Shop | None:
    row = (await conn.execute(select(*_COLUMNS).where(shops.c.shop_id == shop_id))).first()
    return _shop(row) if row else None


async def insert_shop_if_absent(conn: AsyncConnection, shop: Shop) -> bool:
    """Insert ``shop`` unless one with its id exists; True when this call created it."""
    statement = (
        pg_insert(shops)
        .values(
            shop_id=shop.shop_id,
            region=shop.region,
            currency=shop.currency,
            webhook_secret=shop.webhook_secret,
            previous_webhook_secret=shop.previous_webhook_secret,
        )
        .on_conflict_do_nothing(index_elements=[shops.c.shop_id])
        .returning(shops.c.shop_id)
    )
    return (await conn.execute(statement)).first() is not None


async def lock_shop(conn: AsyncConnection, shop_id: str) -> Shop | None:
    """The shop, row-locked until the transaction ends (for secret changes)."""
    statement = select(*_COLUMNS).where(shops.c.shop_id == shop_id).with_for_update()
    row = (await conn.execute(statement)).first()
    return _shop(row) if row else None


async def save_secrets(conn: AsyncConnection, shop: Shop) -> None:
    await conn.execute(
        update(shops)
        .where(shops.c.shop_id == shop.shop_id)
        .values(
            webhook_secret=shop.webhook_secret,
            previous_webhook_secret=shop.previous_webhook_secret,
        )
    )
