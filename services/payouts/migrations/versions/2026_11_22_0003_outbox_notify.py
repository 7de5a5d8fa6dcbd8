"""Wake the payouts outbox relay on commit (NOTIFY) instead of polling.

Revision ID: payouts_0003
Revises: payouts_0002
Create Date: 2026-11-22
"""

from shared.db.schema_ops import create_outbox_notify_v1

revision = "payouts_0003"
down_revision = "payouts_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_notify_v1()


def downgrade() -> None:
    raise NotImplementedError("the payouts history is forward-only")
