"""SQL of order streams on the webhook path: one row per order, keyed by ``(shop_id,
order_id)``, holding its event stream (``event_codec``); a parked order's held facts wait in
``parked_orders`` (see ``parking``) and come back with its next accepted webhook.

Statements run on the asyncpg connection of the unit of work (``unit_of_work``), prepared once
per connection, with one array parameter per column (``unnest``): a group of webhooks costs the
same number of round trips as one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg

from services.orders.adapters.db.event_codec import StoredEvent, recorded_to_json
from services.orders.service.ports import OrderStream, ShopKey, StreamAppend

# Rows are locked in key order (the caller passes sorted keys), so two groups never deadlock.
_LOCK_STREAMS = (
    "SELECT o.shop_id, o.order_id, o.status, coalesce(p.events, o.events) AS events"
    " FROM unnest($1::text[], $2::text[]) AS k(shop_id, order_id)"
    " JOIN orders o ON o.shop_id = k.shop_id AND o.order_id = k.order_id"
    " LEFT JOIN parked_orders p ON p.shop_id = o.shop_id AND p.order_id = o.order_id"
    " ORDER BY o.shop_id, o.order_id FOR UPDATE OF o"
)


class OrderRepository:
    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def lock_streams(self, orders: Sequence[ShopKey]) -> dict[ShopKey, OrderStream]:
        """See ``services.orders.service.ports.OrderRepository``; one round trip. The row lock
        is ``FOR UPDATE``: the parking sweeper skips a locked row, so a stream read here is
        still where it was when the group writes."""
        rows = await self._connection.fetch(
            _LOCK_STREAMS, [shop for shop, _ in orders], [order for _, order in orders]
        )
        return {
            (row["shop_id"], row["order_id"]): OrderStream(
                events=tuple(StoredEvent.from_json(entry) for entry in row["events"]),
                parked=row["status"] == "parked",
            )
            for row in rows
        }


def append_ctes(first_param: int) -> str:
    """CTEs that create or append to the streams of ``append_args`` (7 parameters from
    ``$first_param``): ``created`` returns a row per order it created, so a caller can tell an
    order a concurrent writer created meanwhile (none returned for it). An existing order is
    appended to on its locked row; a parked one takes its held facts back first."""
    shops, orders, events, statuses, terms, existed, parked = (
        f"${first_param + n}" for n in range(7)
    )
    return (
        f"appends AS (SELECT * FROM unnest({shops}::text[], {orders}::text[],"  # noqa: S608
        f" {events}::jsonb[],"
        f" {statuses}::text[], {terms}::jsonb[], {existed}::bool[], {parked}::bool[])"
        " AS a(shop_id, order_id, events, status, terms, existed, parked)),"
        " created AS (INSERT INTO orders (shop_id, order_id, status, events, terms)"
        " SELECT shop_id, order_id, status, events, terms FROM appends WHERE NOT existed"
        " ORDER BY shop_id, order_id ON CONFLICT (shop_id, order_id) DO NOTHING RETURNING 1),"
        " unparked AS (DELETE FROM parked_orders p USING appends a WHERE a.parked"
        " AND p.shop_id = a.shop_id AND p.order_id = a.order_id"
        " RETURNING p.shop_id, p.order_id, p.events),"
        " appended AS (UPDATE orders o SET events = coalesce(u.events, o.events) || a.events,"
        " status = a.status, terms = coalesce(a.terms, o.terms), updated_at = now()"
        " FROM appends a LEFT JOIN unparked u"
        " ON u.shop_id = a.shop_id AND u.order_id = a.order_id"
        " WHERE a.existed AND o.shop_id = a.shop_id AND o.order_id = a.order_id)"
    )


def append_args(appends: Sequence[StreamAppend]) -> tuple[list[Any], ...]:
    """The 7 parameters of ``append_ctes`` (JSON as text, as the engine's codec wants it)."""
    return (
        [a.shop_id for a in appends],
        [a.order_id for a in appends],
        [json.dumps([recorded_to_json(e) for e in a.events]) for a in appends],
        [a.status for a in appends],
        [None if a.terms is None else json.dumps(a.terms) for a in appends],
        [a.existed for a in appends],
        [a.parked for a in appends],
    )
