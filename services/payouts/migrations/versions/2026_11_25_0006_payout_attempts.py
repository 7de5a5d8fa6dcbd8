"""A payout the bank did not answer stays `created` and is retried with the same payout id: each
payout records its provider calls (count, last time, last error) and when it is due again. The
simulated bank remembers every idempotency key it was called with and how often, whether or not
it booked a transfer, so a double payment (or a double call) is observable.

Existing payouts keep their status (`created` is the unsettled state, due at once); every booked
transfer of the simulated bank counts as one call.

Revision ID: payouts_0006
Revises: payouts_0005
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "payouts_0006"
down_revision = "payouts_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payouts", sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
    op.add_column("payouts", sa.Column("last_attempt_at", sa.DateTime(timezone=True)))
    op.add_column("payouts", sa.Column("last_error", sa.Text))
    op.add_column("payouts", sa.Column("next_attempt_at", sa.DateTime(timezone=True)))
    op.create_index(
        "payouts_unsettled",
        "payouts",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'created'"),
    )
    op.create_table(
        "simulated_bank_requests",
        sa.Column("payout_id", sa.Text, primary_key=True),
        sa.Column("party_type", sa.Text, nullable=False),
        sa.Column("party_id", sa.Text, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("calls", sa.Integer, nullable=False),
        sa.Column("first_called_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_called_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(
        "INSERT INTO simulated_bank_requests (payout_id, party_type, party_id, currency, amount,"
        " calls, first_called_at, last_called_at)"
        " SELECT payout_id, party_type, party_id, currency, amount, 1, recorded_at, recorded_at"
        " FROM simulated_bank_transfers"
    )


def downgrade() -> None:
    raise NotImplementedError("the payouts history is forward-only")
