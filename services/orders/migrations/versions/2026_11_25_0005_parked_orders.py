"""Orders never placed: their held facts expire into ``parked_orders``.

An order that has waited for its placement longer than the configured time is parked: its held
facts move to ``parked_orders`` and its row keeps status ``parked`` with an empty stream. The next
webhook of that order (its placement, say) takes them back first, so nothing accepted is lost.
The partial index serves the parking sweep.

Revision ID: orders_0005
Revises: orders_0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "orders_0005"
down_revision = "orders_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parked_orders",
        sa.Column("shop_id", sa.Text, nullable=False),
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("events", JSONB, nullable=False),
        sa.Column("held_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "parked_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("shop_id", "order_id", name="parked_orders_pkey"),
        sa.ForeignKeyConstraint(
            ["shop_id", "order_id"], ["orders.shop_id", "orders.order_id"], name="parked_order"
        ),
    )
    op.create_index(
        "orders_awaiting_placement",
        "orders",
        ["updated_at"],
        postgresql_where=sa.text("status = 'awaiting_placement'"),
    )


def downgrade() -> None:
    raise NotImplementedError("the orders history is forward-only")
