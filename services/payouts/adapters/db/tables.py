"""Tables of the payouts service's own database.

Every amount column is an integer count of the row's currency's minor unit (ISO 4217 exponent).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
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

holds = Table(
    "holds",
    metadata,
    Column("shop_id", Text, primary_key=True, doc="an order is (shop_id, order_id)"),
    Column("order_id", Text, primary_key=True),
    Column("region", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("after_sales_window_days", Integer, nullable=False),
    Column("release_rule", Text, nullable=False),
    Column("min_payout", BigInteger, nullable=False, doc="minor units, from the order's terms"),
    Column("status", Text, nullable=False),
    Column(
        "amounts",
        JSONB,
        nullable=False,
        doc="[{party_type, party_id, amount}]: pending minor units per party, or released ones",
    ),
    Column("delivered_at", DateTime(timezone=True)),
    Column("release_at", DateTime(timezone=True), doc="when the hold becomes due (UTC)"),
    Column("released_at", DateTime(timezone=True)),
    Column(
        "ledger_released_at",
        DateTime(timezone=True),
        doc="set when ledger.order_released is folded: the ledger holds nothing pending for it",
    ),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(
        "status IN ('awaiting_delivery', 'holding', 'released', 'closed')", name="hold_status"
    ),
    Index("holds_due", "release_at", postgresql_where=text("status = 'holding'")),
    Index(
        "holds_not_released_by_ledger",
        "order_id",
        postgresql_where=text("ledger_released_at IS NULL"),
    ),
)

payee_balances = Table(
    "payee_balances",
    metadata,
    Column("party_type", Text, nullable=False),
    Column("party_id", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("available", BigInteger, nullable=False, doc="minor units; negative after clawbacks"),
    Column("min_payout", BigInteger, nullable=False, doc="minor units; latest order's terms"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("party_type", "party_id", "currency"),
)

payout_runs = Table(
    "payout_runs",
    metadata,
    Column("run_id", Text, primary_key=True),
    Column("trigger", Text, nullable=False, doc="'operator' or 'schedule'"),
    Column("scheduled_for", Date, unique=True, doc="the day of a scheduled run (one per day)"),
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

payouts = Table(
    "payouts",
    metadata,
    Column("payout_id", Text, primary_key=True),
    Column("run_id", Text, nullable=False),
    Column("party_type", Text, nullable=False),
    Column("party_id", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("amount", BigInteger, nullable=False, doc="minor units, > 0"),
    Column(
        "status",
        Text,
        nullable=False,
        doc="'created' until the provider answers definitely (DOMAIN.md's pending), then "
        "'paid' or 'failed' (a refusal)",
    ),
    Column("failure_reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("completed_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default="0", doc="provider calls made"),
    Column("last_attempt_at", DateTime(timezone=True)),
    Column("last_error", Text, doc="why the last call had no definite answer (timeout, error)"),
    Column(
        "next_attempt_at",
        DateTime(timezone=True),
        doc="when an unsettled payout is due for its next call; NULL: due now",
    ),
    CheckConstraint("amount > 0", name="payout_amount_positive"),
    CheckConstraint("status IN ('created', 'paid', 'failed')", name="payout_status"),
    Index("payouts_by_payee", "party_type", "party_id", "created_at"),
    Index("payouts_by_run", "run_id"),
    Index("payouts_by_created_at", "created_at"),
    Index("payouts_unsettled", "next_attempt_at", postgresql_where=text("status = 'created'")),
)

simulated_bank_transfers = Table(
    "simulated_bank_transfers",
    metadata,
    Column("payout_id", Text, primary_key=True, doc="the provider's idempotency key"),
    Column("party_type", Text, nullable=False),
    Column("party_id", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("amount", BigInteger, nullable=False, doc="minor units"),
    Column("status", Text, nullable=False, doc="'paid' or 'refused'"),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("status IN ('paid', 'refused')", name="simulated_transfer_status"),
)
"""The simulated bank's own books (local and test environments only): written in the bank's own
transaction before it answers, so it remembers transfers across restarts as a real bank does."""

simulated_bank_requests = Table(
    "simulated_bank_requests",
    metadata,
    Column(
        "payout_id", Text, primary_key=True, doc="every idempotency key the bank was called with"
    ),
    Column("party_type", Text, nullable=False),
    Column("party_id", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("amount", BigInteger, nullable=False, doc="minor units, as first asked"),
    Column("calls", Integer, nullable=False, doc="every `pay` call with this key, answered or not"),
    Column("first_called_at", DateTime(timezone=True), nullable=False),
    Column("last_called_at", DateTime(timezone=True), nullable=False),
)
"""The simulated bank's call log: a key called but never booked timed out before the bank did
anything; more than one call per key is a retry (the books still hold one transfer)."""
