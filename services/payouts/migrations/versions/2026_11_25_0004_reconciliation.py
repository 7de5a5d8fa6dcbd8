"""What reconciliation reads: which holds the ledger has released, payouts by age, and the
simulated bank's own record of the transfers it was asked for.

Holds released before this migration are taken as released by the ledger too (their ledger
release had been folded, or is about to be, which sets the same column).

Revision ID: payouts_0004
Revises: payouts_0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "payouts_0004"
down_revision = "payouts_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("holds", sa.Column("ledger_released_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE holds SET ledger_released_at = released_at WHERE status = 'released'")
    op.create_index(
        "holds_not_released_by_ledger",
        "holds",
        ["order_id"],
        postgresql_where=sa.text("ledger_released_at IS NULL"),
    )
    op.create_index("payouts_by_created_at", "payouts", ["created_at"])
    op.create_table(
        "simulated_bank_transfers",
        sa.Column("payout_id", sa.Text, primary_key=True),
        sa.Column("party_type", sa.Text, nullable=False),
        sa.Column("party_id", sa.Text, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column(
            "recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint("status IN ('paid', 'refused')", name="simulated_transfer_status"),
    )


def downgrade() -> None:
    raise NotImplementedError("the payouts history is forward-only")
