"""SQL for shops and their webhook secrets, which are stored sealed (``secret_box``): this module
seals on every write and opens on every read, so nothing above it sees a sealed value and
nothing below it sees a plain one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.orders.adapters.db.tables import shops
from services.orders.adapters.secret_box import SecretBox
from services.orders.domain.shop import Shop

CURRENT = "webhook_secret"
PREVIOUS = "previous_webhook_secret"


def place(shop_id: str, column: str) -> str:
    """What a sealed secret is bound to: its shop and column."""
    return f"{shop_id}/{column}"


def shop_from_row(row: Any, box: SecretBox) -> Shop:
    """A shop from a row with the columns of ``_COLUMNS`` (by name), its secrets opened."""
    previous = row["previous_webhook_secret"]
    return Shop(
        shop_id=row["shop_id"],
        region=row["region"],
        currency=row["currency"],
        webhook_secret=box.open(row["webhook_secret"], place=place(row["shop_id"], CURRENT)),
        previous_webhook_secret=None
        if previous is None
        else box.open(previous, place=place(row["shop_id"], PREVIOUS)),
        previous_secret_expires_at=row["previous_secret_expires_at"],
    )


def sealed_secrets(shop: Shop, box: SecretBox) -> dict[str, Any]:
    previous = shop.previous_webhook_secret
    return {
        CURRENT: box.seal(shop.webhook_secret, place=place(shop.shop_id, CURRENT)),
        PREVIOUS: None
        if previous is None
        else box.seal(previous, place=place(shop.shop_id, PREVIOUS)),
        "previous_secret_expires_at": shop.previous_secret_expires_at,
    }


_COLUMNS = (
    shops.c.shop_id,
    shops.c.region,
    shops.c.currency,
    shops.c.webhook_secret,
    shops.c.previous_webhook_secret,
    shops.c.previous_secret_expires_at,
)


async def get_shop(conn: AsyncConnection, shop_id: str, box: SecretBox) -> Shop | None:
    row = (await conn.execute(select(*_COLUMNS).where(shops.c.shop_id == shop_id))).first()
    return shop_from_row(row._mapping, box) if row else None


async def shop_exists(conn: AsyncConnection, shop_id: str) -> bool:
    found = await conn.scalar(select(shops.c.shop_id).where(shops.c.shop_id == shop_id))
    return found is not None


async def insert_shop_if_absent(conn: AsyncConnection, shop: Shop, box: SecretBox) -> bool:
    """Insert ``shop`` unless one with its id exists; True when this call created it."""
    statement = (
        pg_insert(shops)
        .values(
            shop_id=shop.shop_id,
            region=shop.region,
            currency=shop.currency,
            **sealed_secrets(shop, box),
        )
        .on_conflict_do_nothing(index_elements=[shops.c.shop_id])
        .returning(shops.c.shop_id)
    )
    return (await conn.execute(statement)).first() is not None


async def lock_shop(conn: AsyncConnection, shop_id: str, box: SecretBox) -> Shop | None:
    """The shop, row-locked until the transaction ends (for secret changes)."""
    statement = select(*_COLUMNS).where(shops.c.shop_id == shop_id).with_for_update()
    row = (await conn.execute(statement)).first()
    return shop_from_row(row._mapping, box) if row else None


async def save_secrets(conn: AsyncConnection, shop: Shop, box: SecretBox) -> None:
    await conn.execute(
        update(shops).where(shops.c.shop_id == shop.shop_id).values(**sealed_secrets(shop, box))
    )


def _not_under_active_key(box: SecretBox) -> ColumnElement[bool]:
    sealed_now = f"{box.active_prefix}%"
    return ~shops.c.webhook_secret.like(sealed_now) | (
        shops.c.previous_webhook_secret.is_not(None)
        & ~shops.c.previous_webhook_secret.like(sealed_now)
    )


async def lock_shops_to_reseal(conn: AsyncConnection, box: SecretBox, limit: int) -> list[Shop]:
    """Up to ``limit`` shops whose secrets are stored plain or under a key other than the
    active one, row-locked (rows locked elsewhere are skipped)."""
    statement = (
        select(*_COLUMNS)
        .where(_not_under_active_key(box))
        .order_by(shops.c.shop_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [shop_from_row(row._mapping, box) for row in (await conn.execute(statement)).all()]


async def count_shops_to_reseal(conn: AsyncConnection, box: SecretBox) -> int:
    statement = select(func.count()).select_from(shops).where(_not_under_active_key(box))
    return int(await conn.scalar(statement) or 0)
