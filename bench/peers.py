"""Peers of the ledger fold, storing the fold bench's own order stream (not a test).

    .venv/bin/python -m bench.peers --orders 20000

The stream is `tests.support.ledger_events.OrderStream(seed=1)`, the one `bench/ledger_fold.py`
fills its topic with (placed, delivered, refunded and cancelled orders, ~2.4 events per order),
so the event counts are the fold's. Each peer gets a fresh database of its own on the bench's
PostgreSQL, and stores every event in stream order, one transaction per event:

- ``eventsourcing``: the `eventsourcing` library (9.5.6) with its PostgreSQL recorder
  (``PERSISTENCE_MODULE=eventsourcing.postgres``, psycopg 3), one `Order` aggregate per order;
  each event is a command on the aggregate followed by ``app.save(order)``. Aggregates stay in
  memory (as a warm application cache would keep them), so no event pays a read.
- ``naive``: asyncpg, one ``INSERT`` of the event as a JSON row per event, autocommitted (the
  plain loop a first implementation would write).

Reports events/s (wall) and this process's CPU per event for each (PostgreSQL's CPU is not
included). Both peers serialise the same plain fields of each event. The `eventsourcing` peer's
client spends ~1 ms of CPU per event here, most of it in psycopg's pipeline I/O loop (five
statements per save: BEGIN, LOCK TABLE, NOTIFY, INSERT, COMMIT), so on a loaded 2-core machine it
is the figure that contention moves most: compare the CPU columns as well as the rates.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from sqlalchemy.engine import URL, make_url

from shared.events.orders_v1 import OrderCancelled, OrderDelivered, OrderPlaced, OrderRefunded
from tests.support.infra import fresh_database
from tests.support.ledger_events import OrderStream, Sent

STREAM_SEED = 1
"""The seed `bench/ledger_fold.py` fills its topic with: the same orders, the same events."""
_ORDER_NAMESPACE = uuid.UUID("6f1d7f64-6c1b-4d8e-9a57-4e0d4f3c1a10")


def order_stream(orders: int) -> list[Sent]:
    """The fold bench's event stream for `orders` orders (its generator, its seed)."""
    return OrderStream(seed=STREAM_SEED).events(orders)


@dataclass(frozen=True)
class PeerEvent:
    """One stream event as the plain fields both peers store."""

    event_id: str
    order_id: str
    kind: str
    fields: dict[str, Any]


def plain_events(stream: list[Sent]) -> list[PeerEvent]:
    """The stream as plain fields (done before the clock starts, for both peers alike)."""
    peer_events = []
    for sent in stream:
        model = sent.event
        if not isinstance(model, OrderPlaced | OrderDelivered | OrderRefunded | OrderCancelled):
            raise TypeError(f"not an orders.v1 event: {type(model).__name__}")
        fields = model.model_dump(mode="json")
        peer_events.append(PeerEvent(sent.event_id, model.order_id, type(model).__name__, fields))
    return peer_events


class Order(Aggregate):
    """One order as an `eventsourcing` aggregate: its events carry the orders.v1 fields."""

    @staticmethod
    def create_id(order_id: str, placement: dict[str, Any]) -> uuid.UUID:
        return uuid.uuid5(_ORDER_NAMESPACE, order_id)

    @event("Placed")
    def __init__(self, order_id: str, placement: dict[str, Any]) -> None:
        self.order_id = order_id
        self.placement = placement
        self.refunded_total = 0
        self.status = "placed"

    @event("Delivered")
    def deliver(self, delivery: dict[str, Any]) -> None:
        self.status = "delivered"

    @event("Refunded")
    def refund(self, refund: dict[str, Any]) -> None:
        self.refunded_total = int(refund["refunded_total"])

    @event("Cancelled")
    def cancel(self, cancellation: dict[str, Any]) -> None:
        self.status = "cancelled"


class OrdersApplication(Application[uuid.UUID]):
    """The application the aggregates are saved through (snapshots off, library defaults)."""


_COMMANDS: dict[str, Callable[[Order, dict[str, Any]], None]] = {
    "OrderDelivered": Order.deliver,
    "OrderRefunded": Order.refund,
    "OrderCancelled": Order.cancel,
}


def store_with_eventsourcing(database_url: str, peer_events: list[PeerEvent]) -> None:
    """Save every event through an `eventsourcing` application on `database_url` (its
    PostgreSQL recorder creates its tables), one ``save`` per event."""
    url = make_url(database_url)
    app = OrdersApplication(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": str(url.database),
            "POSTGRES_HOST": str(url.host),
            "POSTGRES_PORT": str(url.port),
            "POSTGRES_USER": str(url.username),
            "POSTGRES_PASSWORD": str(url.password),
        }
    )
    try:
        orders: dict[str, Order] = {}
        for peer_event in peer_events:
            if peer_event.kind == "OrderPlaced":
                order = Order(peer_event.order_id, peer_event.fields)
                orders[peer_event.order_id] = order
            else:
                order = orders[peer_event.order_id]
                _COMMANDS[peer_event.kind](order, peer_event.fields)
            app.save(order)
    finally:
        app.close()


NAIVE_TABLE = """
CREATE TABLE order_events (
    event_id uuid PRIMARY KEY,
    order_id text NOT NULL,
    kind text NOT NULL,
    payload jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
)
"""
NAIVE_INSERT = (
    "INSERT INTO order_events (event_id, order_id, kind, payload) VALUES ($1, $2, $3, $4)"
)


async def store_naively(database_url: str, peer_events: list[PeerEvent]) -> None:
    """One autocommitted INSERT per event over one asyncpg connection (table created first)."""
    connection = await asyncpg.connect(_libpq_dsn(database_url))
    try:
        await connection.execute(NAIVE_TABLE)
        for peer_event in peer_events:
            await connection.execute(
                NAIVE_INSERT,
                uuid.UUID(peer_event.event_id),
                peer_event.order_id,
                peer_event.kind,
                json.dumps(peer_event.fields),
            )
    finally:
        await connection.close()


def _libpq_dsn(database_url: str) -> str:
    url: URL = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@dataclass
class Timing:
    wall_s: float = 0.0
    cpu_s: float = 0.0


@contextmanager
def timed() -> Iterator[Timing]:
    """Wall and CPU seconds (this process, all threads) of the block."""
    timing = Timing()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield timing
    finally:
        timing.wall_s = time.perf_counter() - wall
        timing.cpu_s = time.process_time() - cpu


def rates(name: str, events: int, timing: Timing) -> dict[str, Any]:
    return {
        f"peer_{name}_events_per_s": round(events / timing.wall_s) if timing.wall_s else None,
        f"peer_{name}_cpu_us_per_event": round(timing.cpu_s / events * 1e6) if events else None,
    }


async def main(orders: int) -> dict[str, Any]:
    """Events/s and CPU per event of each peer storing `orders` orders of the fold's stream."""
    peer_events = plain_events(order_stream(orders))
    results: dict[str, Any] = {"peer_events": len(peer_events)}
    async with fresh_database("peer_eventsourcing") as (url, engine):
        await engine.dispose()  # the library brings its own connections
        with timed() as timing:
            await asyncio.to_thread(store_with_eventsourcing, url, peer_events)
        results |= rates("eventsourcing", len(peer_events), timing)
    async with fresh_database("peer_naive") as (url, engine):
        await engine.dispose()
        with timed() as timing:
            await store_naively(url, peer_events)
        results |= rates("naive", len(peer_events), timing)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000, help="orders of the fold's stream")
    arguments = parser.parse_args()
    print(json.dumps(asyncio.run(main(arguments.orders))))
