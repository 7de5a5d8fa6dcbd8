"""Outbox and inbox tables of the payouts service.

Revision ID: payouts_0001
Revises:
Create Date: 2026-11-22
"""

from shared.db.schema_ops import create_inbox_v1, create_outbox_v1

revision = "payouts_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_v1()
    create_inbox_v1()


def downgrade() -> None:
    raise NotImplementedError("the payouts history is forward-only")
