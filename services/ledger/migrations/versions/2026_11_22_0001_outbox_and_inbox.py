"""Outbox and inbox tables of the ledger service.

Revision ID: ledger_0001
Revises:
Create Date: 2026-11-22
"""

from shared.db.schema_ops import create_inbox_v1, create_outbox_v1

revision = "ledger_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_v1()
    create_inbox_v1()


def downgrade() -> None:
    raise NotImplementedError("the ledger history is forward-only")
