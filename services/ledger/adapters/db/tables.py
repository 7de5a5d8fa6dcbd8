"""Tables of the ledger service's own database (DDL in migrations/, triggers included).

Every amount column is a signed or non-negative integer count of its currency's minor unit.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    SmallInteger,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared.db.inbox import define_inbox_tables
from shared.db.outbox import define_outbox_table

metadata = MetaData()
outbox = define_outbox_table(metadata)
processed_events, consumer_positions = define_inbox_tables(metadata)

accounts = Table(
    "accounts",
    metadata,
    Column("code", Text, primary_key=True, doc="party_type/party_id/currency/sub_account"),
    Column("party_type", Text, nullable=False),
    Column("party_id", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("sub_account", Text, nullable=False, doc="pending, available, paid_out or clearing"),
)

journal_entries = Table(
    "journal_entries",
    metadata,
    Column("id", Uuid, primary_key=True, doc="uuid5 of event_id"),
    Column("seq", BigInteger, nullable=False, doc="insertion order"),
    Column("event_id", Text, nullable=False, unique=True, doc="CloudEvents id it comes from"),
    Column("order_id", Text, nullable=True),
    Column(
        "shop_id",
        Text,
        nullable=True,
        doc="the order's shop; NULL for entries of no order and for entries written before "
        "orders were keyed by shop (their shop is that of the order's legacy ledger_orders row)",
    ),
    Column("kind", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False, doc="business time"),
    Column("rule_version", Text, nullable=False),
    Column("details", JSONB, nullable=False, doc="provenance: lines, rates, refund bounds"),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

postings = Table(
    "postings",
    metadata,
    Column("entry_id", Uuid, primary_key=True),
    Column("line_no", SmallInteger, primary_key=True),
    Column("account", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column(
        "amount",
        BigInteger,
        nullable=False,
        doc="signed integer minor units; positive raises the account balance",
    ),
    Column("leg", Text, nullable=False),
    Column("plan_id", Text, nullable=True),
    Column("rate_bps", Integer, nullable=True, doc="basis points of the rate behind the amount"),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
)

ledger_orders = Table(
    "ledger_orders",
    metadata,
    Column("shop_id", Text, primary_key=True),
    Column("order_id", Text, primary_key=True),
    Column("placed", JSONB, nullable=False, doc="order.placed data the split comes from"),
    Column("refunded_total", BigInteger, nullable=False, doc="cumulative refunds, minor units"),
    Column("cancelled", Boolean, nullable=False),
    Column("released", Boolean, nullable=False),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column(
        "legacy",
        Boolean,
        nullable=False,
        server_default="false",
        doc="placed before orders were keyed by shop: owns the order's entries without shop_id",
    ),
)

ledger_payouts = Table(
    "ledger_payouts",
    metadata,
    Column("payout_id", Text, primary_key=True),
    Column("party_type", Text, nullable=False),
    Column("party_id", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("amount", BigInteger, nullable=False, doc="minor units of the payout currency"),
    Column("status", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
