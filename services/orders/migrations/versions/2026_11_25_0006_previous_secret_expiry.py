"""A rotated-out webhook secret expires: ``previous_secret_expires_at``.

Secrets are now stored sealed (AES-GCM, ``adapters/secret_box.py``). Rows written before stay
readable as they are; the service's reseal worker rewrites them sealed under the active key
(the migration cannot: the key is the service's setting, not the database's). A previous secret
stored before this revision has no expiry until it is retired or the shop rotates again.

Revision ID: orders_0006
Revises: orders_0005
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "orders_0006"
down_revision = "orders_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "shops",
        sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    raise NotImplementedError("the orders history is forward-only")
