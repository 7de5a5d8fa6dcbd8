"""Wake the ledger outbox relay on commit (NOTIFY) instead of polling.

Revision ID: ledger_0003
Revises: ledger_0002
Create Date: 2026-11-22
"""

from shared.db.schema_ops import create_outbox_notify_v1

revision = "ledger_0003"
down_revision = "ledger_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_notify_v1()


def downgrade() -> None:
    raise NotImplementedError("the ledger history is forward-only")
