"""Tables of the orders service's own database.

Amounts live only inside the order's event stream (JSON ints, minor units of the order currency);
rates are int basis points.
"""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared.db.inbox import define_inbox_tables
from shared.db.outbox import define_outbox_table

metadata = MetaData()
outbox = define_outbox_table(metadata)
processed_events, consumer_positions = define_inbox_tables(metadata)

shops = Table(
    "shops",
    metadata,
    Column("shop_id", Text, primary_key=True),
    Column("region", Text, nullable=False),
    Column("currency", Text, nullable=False, doc="ISO 4217 code of the region's currency"),
    Column(
        "webhook_secret",
        Text,
        nullable=False,
        doc="signs new webhooks; sealed (adapters/secret_box.py), plain whsec_ before orders_0006",
    ),
    Column(
        "previous_webhook_secret",
        Text,
        nullable=True,
        doc="sealed too; still accepted after a rotation until retired or expired",
    ),
    Column("previous_secret_expires_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

plans = Table(
    "plans",
    metadata,
    Column("plan_id", Text, primary_key=True),
    Column("shop_id", Text, ForeignKey("shops.shop_id"), nullable=False),
    Column("type", Text, nullable=False, doc="shop | open | targeted"),
    Column("rate_bps", Integer, nullable=False, doc="commission rate, int bps 100..8000"),
    Column("skus", ARRAY(Text), nullable=False),
    Column("creator_ids", ARRAY(Text), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=True),
    Column("ends_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("plans_by_shop", "shop_id", "created_at"),
)

# An order is identified by (shop_id, order_id): two shops may use the same order id.
orders = Table(
    "orders",
    metadata,
    Column("order_id", Text, nullable=False),
    Column("shop_id", Text, ForeignKey("shops.shop_id"), nullable=False),
    Column(
        "status",
        Text,
        nullable=False,
        doc="OrderState.status after the last event, or parked (see parked_orders)",
    ),
    Column(
        "events",
        JSONB,
        nullable=False,
        doc="the order's event stream, oldest first: [{seq, event_id, recorded_at, kind, data}]",
    ),
    Column("terms", JSONB, nullable=True, doc="OrderTerms stamped at placement"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("shop_id", "order_id", name="orders_pkey"),
    Index("orders_by_order_id", "order_id"),
    Index(
        "orders_awaiting_placement",
        "updated_at",
        postgresql_where=text("status = 'awaiting_placement'"),
    ),
)

# Held facts of orders whose placement never came (see migration orders_0005); the order's row
# stays, with status 'parked' and an empty stream, until a placement takes them back.
parked_orders = Table(
    "parked_orders",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("order_id", Text, nullable=False),
    Column("events", JSONB, nullable=False, doc="the order's stream when it was parked"),
    Column("held_since", DateTime(timezone=True), nullable=False, doc="its last fact's arrival"),
    Column("parked_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("shop_id", "order_id", name="parked_orders_pkey"),
    ForeignKeyConstraint(
        ["shop_id", "order_id"], ["orders.shop_id", "orders.order_id"], name="parked_order"
    ),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("webhook_id", Text, nullable=False),
    Column("body_sha256", LargeBinary, nullable=False),
    Column("event_id", Text, nullable=False, doc="the event id answered to the first delivery"),
    Column("order_id", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("shop_id", "webhook_id"),
)
