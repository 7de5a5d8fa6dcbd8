"""SQL for shops and their webhook secrets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, outerjoin, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.orders.adapters.db.plans import active_plans_clause, plan_of
from services.orders.adapters.db.tables import plans, shops
from services.orders.domain.plans import Plan


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


# A plan row's shop_id is the shop's, already selected.
_PLAN_COLUMNS = tuple(column for column in plans.c if column.name != "shop_id")
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


async def get_shop_with_plans(
    conn: AsyncConnection, shop_id: str, plans_at: datetime | None
) -> tuple[Shop, list[Plan]] | None:
    """The shop and, when ``plans_at`` is given, its plans active at that instant; one query."""
    joined = outerjoin(
        shops,
        plans,
        and_(plans.c.shop_id == shops.c.shop_id, active_plans_clause(plans_at))
        if plans_at is not None
        else false(),
    )
    statement = select(*_COLUMNS, *_PLAN_COLUMNS).select_from(joined)
    rows = (await conn.execute(statement.where(shops.c.shop_id == shop_id))).all()
    if not rows:
        return None
    found = [plan_of(row._mapping) for row in rows if row.plan_id is not None]
    return _shop(rows[0]), found


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
