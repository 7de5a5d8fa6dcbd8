"""Holds, payee balances, payout runs and payouts.

Revision ID: payouts_0002
Revises: payouts_0001
Create Date: 2026-11-22
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "payouts_0002"
down_revision = "payouts_0001"
branch_labels = None
depends_on = None


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column[datetime]:
    if nullable:
        return sa.Column(name, sa.DateTime(timezone=True), nullable=True)
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def upgrade() -> None:
    op.create_table(
        "holds",
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("shop_id", sa.Text, nullable=False),
        sa.Column("region", sa.Text, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("after_sales_window_days", sa.Integer, nullable=False),
        sa.Column("release_rule", sa.Text, nullable=False),
        sa.Column("min_payout", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("amounts", JSONB, nullable=False),
        _timestamp("delivered_at"),
        _timestamp("release_at"),
        _timestamp("released_at"),
        _timestamp("created_at", nullable=False),
        _timestamp("updated_at", nullable=False),
        sa.CheckConstraint(
            "status IN ('awaiting_delivery', 'holding', 'released', 'closed')", name="hold_status"
        ),
    )
    op.create_index(
        "holds_due", "holds", ["release_at"], postgresql_where=sa.text("status = 'holding'")
    )
    op.create_table(
        "payee_balances",
        sa.Column("party_type", sa.Text, nullable=False),
        sa.Column("party_id", sa.Text, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("available", sa.BigInteger, nullable=False),
        sa.Column("min_payout", sa.BigInteger, nullable=False),
        _timestamp("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("party_type", "party_id", "currency"),
    )
    op.create_table(
        "payout_runs",
        sa.Column("run_id", sa.Text, primary_key=True),
        sa.Column("trigger", sa.Text, nullable=False),
        sa.Column("scheduled_for", sa.Date, unique=True),
        _timestamp("started_at", nullable=False),
    )
    op.create_table(
        "payouts",
        sa.Column("payout_id", sa.Text, primary_key=True),
        sa.Column("run_id", sa.Text, nullable=False),
        sa.Column("party_type", sa.Text, nullable=False),
        sa.Column("party_id", sa.Text, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("failure_reason", sa.Text),
        _timestamp("created_at", nullable=False),
        _timestamp("completed_at"),
        sa.CheckConstraint("amount > 0", name="payout_amount_positive"),
        sa.CheckConstraint("status IN ('created', 'paid', 'failed')", name="payout_status"),
    )
    op.create_index("payouts_by_payee", "payouts", ["party_type", "party_id", "created_at"])
    op.create_index("payouts_by_run", "payouts", ["run_id"])


def downgrade() -> None:
    raise NotImplementedError("the payouts history is forward-only")
