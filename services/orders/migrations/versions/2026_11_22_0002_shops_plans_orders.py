"""Shops, commission plans, orders (with their event streams) and webhook deliveries.

Revision ID: orders_0002
Revises: orders_0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "orders_0002"
down_revision = "orders_0001"
branch_labels = None
depends_on = None


def _created_at(name: str = "created_at") -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def upgrade() -> None:
    op.create_table(
        "shops",
        sa.Column("shop_id", sa.Text, primary_key=True),
        sa.Column("region", sa.Text, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("webhook_secret", sa.Text, nullable=False),
        sa.Column("previous_webhook_secret", sa.Text, nullable=True),
        _created_at(),
    )
    op.create_table(
        "plans",
        sa.Column("plan_id", sa.Text, primary_key=True),
        sa.Column("shop_id", sa.Text, sa.ForeignKey("shops.shop_id"), nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("rate_bps", sa.Integer, nullable=False),
        sa.Column("skus", sa.ARRAY(sa.Text), nullable=False),
        sa.Column("creator_ids", sa.ARRAY(sa.Text), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        _created_at(),
    )
    op.create_index("plans_by_shop", "plans", ["shop_id", "created_at"])
    op.create_table(
        "orders",
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("shop_id", sa.Text, sa.ForeignKey("shops.shop_id"), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("events", JSONB, nullable=False),
        sa.Column("terms", JSONB, nullable=True),
        _created_at("updated_at"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("shop_id", sa.Text, nullable=False),
        sa.Column("webhook_id", sa.Text, nullable=False),
        sa.Column("body_sha256", sa.LargeBinary, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("order_id", sa.Text, nullable=False),
        _created_at("received_at"),
        sa.PrimaryKeyConstraint("shop_id", "webhook_id"),
    )


def downgrade() -> None:
    raise NotImplementedError("the orders history is forward-only")
