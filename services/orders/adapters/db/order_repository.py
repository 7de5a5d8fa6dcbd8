"""SQL of order streams on the webhook path: one row per order, keyed by ``(shop_id,
order_id)``, holding its event stream (``event_codec``); a parked order's held facts wait in
``parked_orders`` (see ``parking``) and come back with its next accepted webhook.

A row's version is its ``status`` and the number of events it stores: events are only ever
appended, except when the order is parked (status ``parked``, no events), so an unchanged
version means an unchanged stream. These are SQL fragments (one array parameter per column,
``unnest``), which the unit of work (``unit_of_work``) puts into its statements, so a group of
webhooks costs the same round trips as one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from services.orders.adapters.db.event_codec import StoredEvent, recorded_to_json
from services.orders.service.ports import OrderStream, ShopKey, StreamAppend


def streams_select(first_param: int) -> str:
    """A SELECT of the streams of the orders of ``streams_args`` (2 parameters), in the
    columns of the unit of work's group read (``kind`` ``o``, ``id`` the order id); orders
    without a row are absent."""
    shops, orders = f"${first_param}", f"${first_param + 1}"
    return (
        "SELECT 'o' AS kind, o.shop_id, o.order_id AS id, o.status,"  # noqa: S608
        " jsonb_array_length(o.events) AS stored, coalesce(p.events, o.events) AS events,"
        " NULL::bytea AS body_sha256, NULL::text AS event_id"
        f" FROM unnest({shops}::text[], {orders}::text[]) AS k(shop_id, order_id)"
        " JOIN orders o ON o.shop_id = k.shop_id AND o.order_id = k.order_id"
        " LEFT JOIN parked_orders p ON p.shop_id = o.shop_id AND p.order_id = o.order_id"
    )


def streams_args(orders: Sequence[ShopKey]) -> tuple[list[str], list[str]]:
    return [shop for shop, _ in orders], [order for _, order in orders]


def stream_of(row: Mapping[str, Any]) -> tuple[ShopKey, OrderStream]:
    return (row["shop_id"], row["id"]), OrderStream(
        events=tuple(StoredEvent.from_json(entry) for entry in row["events"]),
        status=row["status"],
        stored=row["stored"],
    )


def append_ctes(first_param: int) -> str:
    """CTEs that create or append to the streams of ``append_args`` (8 parameters from
    ``$first_param``). ``created`` returns a row per order it created (none for an order a
    concurrent writer created meanwhile); ``appended`` a row per existing order it appended to,
    only if its row is still the version read (none otherwise). A parked order takes its held
    facts back first."""
    shops, orders, events, statuses, terms, read_status, read_stored, parked = (
        f"${first_param + n}" for n in range(8)
    )
    return (
        f"appends AS (SELECT * FROM unnest({shops}::text[], {orders}::text[],"  # noqa: S608
        f" {events}::jsonb[], {statuses}::text[], {terms}::jsonb[], {read_status}::text[],"
        f" {read_stored}::int[], {parked}::bool[])"
        " AS a(shop_id, order_id, events, status, terms, read_status, read_stored, parked)),"
        " created AS (INSERT INTO orders (shop_id, order_id, status, events, terms)"
        " SELECT shop_id, order_id, status, events, terms FROM appends WHERE read_status IS NULL"
        " ORDER BY shop_id, order_id ON CONFLICT (shop_id, order_id) DO NOTHING RETURNING 1),"
        " unparked AS (DELETE FROM parked_orders p USING appends a WHERE a.parked"
        " AND p.shop_id = a.shop_id AND p.order_id = a.order_id"
        " RETURNING p.shop_id, p.order_id, p.events),"
        " appended AS (UPDATE orders o SET events = coalesce(u.events, o.events) || a.events,"
        " status = a.status, terms = coalesce(a.terms, o.terms), updated_at = now()"
        " FROM appends a LEFT JOIN unparked u"
        " ON u.shop_id = a.shop_id AND u.order_id = a.order_id"
        " WHERE o.shop_id = a.shop_id AND o.order_id = a.order_id"
        " AND o.status = a.read_status AND jsonb_array_length(o.events) = a.read_stored"
        " RETURNING 1)"
    )


def append_args(appends: Sequence[StreamAppend]) -> tuple[list[Any], ...]:
    """The 8 parameters of ``append_ctes`` (JSON as text, as the engine's codec wants it)."""
    return (
        [a.shop_id for a in appends],
        [a.order_id for a in appends],
        [json.dumps([recorded_to_json(e) for e in a.events]) for a in appends],
        [a.status for a in appends],
        [None if a.terms is None else json.dumps(a.terms) for a in appends],
        [None if a.read_as is None else a.read_as.status for a in appends],
        [None if a.read_as is None else a.read_as.stored for a in appends],
        [a.read_as is not None and a.read_as.parked for a in appends],
    )
