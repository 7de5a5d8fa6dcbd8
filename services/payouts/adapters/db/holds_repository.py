"""SQL for holds: load and save the domain's `Hold`, and claim due holds for release."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Row,
    Text,
    and_,
    bindparam,
    column,
    func,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from services.payouts.adapters.db.tables import holds
from services.payouts.domain.holds import Hold, HoldStatus, OrderKey, PartyAmount
from services.payouts.domain.release_instant import HoldTerms
from shared.regions import ReleaseRule


def _amounts_json(hold: Hold) -> list[dict[str, Any]]:
    return [
        {"party_type": a.party_type, "party_id": a.party_id, "amount": a.amount}
        for a in hold.amounts
    ]


def _values(hold: Hold) -> dict[str, Any]:
    return {
        "shop_id": hold.shop_id,
        "region": hold.region,
        "currency": hold.currency,
        "after_sales_window_days": hold.terms.after_sales_window_days,
        "release_rule": hold.terms.release_rule,
        "min_payout": hold.terms.min_payout,
        "status": hold.status,
        "amounts": _amounts_json(hold),
        "delivered_at": hold.delivered_at,
        "release_at": hold.release_at,
        "released_at": hold.released_at,
    }


_VALUE_COLUMNS = tuple(
    column.name
    for column in holds.columns
    if column.name not in ("shop_id", "order_id", "created_at", "updated_at", "ledger_released_at")
)
"""The columns ``_values`` fills (``ledger_released_at`` is set by ``mark_released_by_ledger``)."""


def _updated(hold: Hold) -> dict[str, Any]:
    """What an update sets: everything but the key (shop_id, order_id)."""
    values = _values(hold)
    del values["shop_id"]
    return values


def _hold(row: Row[Any]) -> Hold:
    return Hold(
        order_id=row.order_id,
        shop_id=row.shop_id,
        region=row.region,
        currency=row.currency,
        terms=HoldTerms(
            after_sales_window_days=row.after_sales_window_days,
            release_rule=cast(ReleaseRule, row.release_rule),
            min_payout=row.min_payout,
        ),
        status=cast(HoldStatus, row.status),
        amounts=tuple(
            PartyAmount(a["party_type"], a["party_id"], int(a["amount"])) for a in row.amounts
        ),
        delivered_at=row.delivered_at,
        release_at=row.release_at,
        released_at=row.released_at,
    )


async def insert_hold(conn: AsyncConnection, hold: Hold) -> None:
    await conn.execute(insert(holds).values(order_id=hold.order_id, **_values(hold)))


async def insert_holds(conn: AsyncConnection, new_holds: list[Hold]) -> None:
    """Insert several holds in one statement."""
    if new_holds:
        await conn.execute(
            insert(holds),
            [{"order_id": hold.order_id, **_values(hold)} for hold in new_holds],
        )


_SAVE_HOLD = (
    update(holds)
    .where(holds.c.shop_id == bindparam("key_shop"), holds.c.order_id == bindparam("key_order"))
    .values({**{name: bindparam(name) for name in _VALUE_COLUMNS}, "updated_at": func.now()})
)


async def save_holds(conn: AsyncConnection, changed: list[Hold]) -> None:
    """Store several changed holds with one prepared statement (pipelined by the driver)."""
    if changed:
        await conn.execute(
            _SAVE_HOLD,
            [
                {"key_shop": hold.shop_id, "key_order": hold.order_id, **_updated(hold)}
                for hold in changed
            ],
        )


def _order_keys() -> Any:
    """The (shop_id, order_id) pairs of two array parameters, as a table to join: one cached
    statement whatever the number of keys (an IN list of tuples is compiled per length)."""
    return (
        func.unnest(bindparam("shops", type_=ARRAY(Text)), bindparam("orders", type_=ARRAY(Text)))
        .table_valued("shop_id", "order_id")
        .render_derived(name="k")
    )


def _keys_params(keys: set[OrderKey]) -> dict[str, list[str]]:
    ordered = sorted(keys)
    return {"shops": [shop for shop, _ in ordered], "orders": [order for _, order in ordered]}


_KEYS = _order_keys()
_LOCK_HOLDS = (
    select(holds)
    .join(_KEYS, and_(holds.c.shop_id == _KEYS.c.shop_id, holds.c.order_id == _KEYS.c.order_id))
    .order_by(holds.c.shop_id, holds.c.order_id)
    .with_for_update(of=holds)
)


async def lock_holds(conn: AsyncConnection, keys: set[OrderKey]) -> dict[OrderKey, Hold]:
    """The holds of these (shop_id, order_id) that exist, locked until commit (in key order:
    no deadlock)."""
    if not keys:
        return {}
    rows = await conn.execute(_LOCK_HOLDS, _keys_params(keys))
    return {(row.shop_id, row.order_id): _hold(row) for row in rows}


async def mark_released(conn: AsyncConnection, released: list[Hold]) -> None:
    """Store a batch of holds the domain just released (status and `released_at` only change)."""
    for released_at in {hold.released_at for hold in released}:
        keys = [(h.shop_id, h.order_id) for h in released if h.released_at == released_at]
        await conn.execute(
            update(holds)
            .where(tuple_(holds.c.shop_id, holds.c.order_id).in_(keys))
            .values(status="released", released_at=released_at, updated_at=func.now())
        )


async def get_hold(
    conn: AsyncConnection, key: OrderKey, *, for_update: bool = False
) -> Hold | None:
    shop_id, order_id = key
    query = select(holds).where(holds.c.shop_id == shop_id, holds.c.order_id == order_id)
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return None if row is None else _hold(row)


async def holds_of_order_id(conn: AsyncConnection, order_id: str) -> list[Hold]:
    """Every shop's hold of an order id (an order is (shop_id, order_id)), by shop."""
    query = select(holds).where(holds.c.order_id == order_id).order_by(holds.c.shop_id)
    return [_hold(row) for row in await conn.execute(query)]


async def database_now(conn: AsyncConnection) -> datetime:
    """The database's clock: the one every replica agrees on, used for due-ness."""
    now = await conn.scalar(select(func.now()))
    assert isinstance(now, datetime)
    return now


async def claim_due_holds(conn: AsyncConnection, limit: int) -> list[Hold]:
    """Lock up to `limit` holds due by database time; rows locked by another replica are
    skipped, so concurrent schedulers never claim the same hold."""
    query = (
        select(holds)
        .where(holds.c.status == "holding", holds.c.release_at <= func.now())
        .order_by(holds.c.release_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [_hold(row) for row in await conn.execute(query)]


async def count_by_status(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(select(holds.c.status, func.count()).group_by(holds.c.status))
    return {row[0]: int(row[1]) for row in rows}


async def due_backlog(conn: AsyncConnection) -> tuple[int, float]:
    """(holds due by database time but not yet released, age in seconds of the oldest one)."""
    row = (
        await conn.execute(
            select(
                func.count(),
                func.coalesce(func.extract("epoch", func.now() - func.min(holds.c.release_at)), 0),
            ).where(holds.c.status == "holding", holds.c.release_at <= func.now())
        )
    ).one()
    return int(row[0]), float(row[1])


_RELEASED_KEYS = _order_keys()
_MARK_RELEASED_BY_LEDGER = (
    update(holds)
    .where(
        holds.c.shop_id == _RELEASED_KEYS.c.shop_id,
        holds.c.order_id == _RELEASED_KEYS.c.order_id,
        holds.c.ledger_released_at.is_(None),
    )
    .values(ledger_released_at=func.now())
)


async def mark_released_by_ledger(conn: AsyncConnection, orders: set[tuple[str, str]]) -> None:
    """Record that the ledger released these (shop_id, order_id) orders (folded
    `ledger.order_released`), so nothing of theirs is pending at the ledger any more; the first
    time is kept."""
    if orders:
        await conn.execute(_MARK_RELEASED_BY_LEDGER, _keys_params(orders))


async def pending_by_party(conn: AsyncConnection) -> list[tuple[str, str, str, int]]:
    """(party_type, party_id, currency, pending minor units) summed over the holds the ledger has
    not released yet: what this service believes the ledger holds pending for each party."""
    leg = (
        func.jsonb_to_recordset(holds.c.amounts)
        .table_valued(
            column("party_type", Text), column("party_id", Text), column("amount", BigInteger)
        )
        .render_derived(name="leg", with_types=True)
    )
    query = (
        select(leg.c.party_type, leg.c.party_id, holds.c.currency, func.sum(leg.c.amount))
        .select_from(holds, leg)
        .where(holds.c.ledger_released_at.is_(None))
        .group_by(leg.c.party_type, leg.c.party_id, holds.c.currency)
    )
    return [(row[0], row[1], row[2], int(row[3])) for row in await conn.execute(query)]


class SqlHoldsRepository:
    """``service.ports.HoldsRepository`` on one connection (the unit of work's transaction)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def lock(self, keys: set[OrderKey]) -> dict[OrderKey, Hold]:
        return await lock_holds(self._conn, keys)

    async def insert(self, new_holds: Sequence[Hold]) -> None:
        await insert_holds(self._conn, list(new_holds))

    async def save(self, changed: Sequence[Hold]) -> None:
        await save_holds(self._conn, list(changed))

    async def mark_released_by_ledger(self, orders: set[OrderKey]) -> None:
        await mark_released_by_ledger(self._conn, orders)

    async def claim_due(self, limit: int) -> list[Hold]:
        return await claim_due_holds(self._conn, limit)

    async def mark_released(self, released: Sequence[Hold]) -> None:
        await mark_released(self._conn, list(released))

    async def of_order_id(self, order_id: str) -> list[Hold]:
        return await holds_of_order_id(self._conn, order_id)

    async def count_by_status(self) -> dict[str, int]:
        return await count_by_status(self._conn)

    async def due_backlog(self) -> tuple[int, float]:
        return await due_backlog(self._conn)

    async def pending_by_party(self) -> list[tuple[str, str, str, int]]:
        return await pending_by_party(self._conn)
