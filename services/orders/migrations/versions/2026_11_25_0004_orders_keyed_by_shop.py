"""Orders are identified by (shop_id, order_id): two shops may use the same order id.

The rows stay as they are: order ids were unique, so every (shop_id, order_id) already is. The
index on order_id serves the reads that name no shop (an admin's, a creator's or an agency's).

Revision ID: orders_0004
Revises: orders_0003
Create Date: 2026-11-25
"""

from alembic import op

revision = "orders_0004"
down_revision = "orders_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("orders_pkey", "orders", type_="primary")
    op.create_primary_key("orders_pkey", "orders", ["shop_id", "order_id"])
    op.create_index("orders_by_order_id", "orders", ["order_id"])


def downgrade() -> None:
    raise NotImplementedError("the orders history is forward-only")
