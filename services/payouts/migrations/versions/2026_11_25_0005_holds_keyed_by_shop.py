"""A hold is the hold of an order, and an order is (shop_id, order_id): two shops may use the
same order id. Every existing hold already names its shop, so the key changes in place.

Revision ID: payouts_0005
Revises: payouts_0004
Create Date: 2026-11-25
"""

from alembic import op

revision = "payouts_0005"
down_revision = "payouts_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("holds_pkey", "holds", type_="primary")
    op.create_primary_key("holds_pkey", "holds", ["shop_id", "order_id"])


def downgrade() -> None:
    op.drop_constraint("holds_pkey", "holds", type_="primary")
    op.create_primary_key("holds_pkey", "holds", ["order_id"])
