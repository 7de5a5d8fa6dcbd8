"""Wake the orders outbox relay on commit (NOTIFY) instead of polling.

Revision ID: orders_0003
Revises: orders_0002
Create Date: 2026-11-22
"""

from shared.db.schema_ops import create_outbox_notify_v1

revision = "orders_0003"
down_revision = "orders_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_notify_v1()


def downgrade() -> None:
    raise NotImplementedError("the orders history is forward-only")
