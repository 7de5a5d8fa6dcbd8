"""``orders_write_conflict(reason)``: how one statement refuses to commit.

The webhook path writes a group of webhooks in one statement that checks, as it writes, that
nothing it read changed meanwhile (``adapters/db/unit_of_work.py``); when something did, the
statement calls this, which raises SQLSTATE 40001 (serialization_failure), so the statement and
everything it wrote is undone and the group is decided again.

Revision ID: orders_0007
Revises: orders_0006
Create Date: 2026-11-25
"""

from alembic import op

revision = "orders_0007"
down_revision = "orders_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE FUNCTION orders_write_conflict(reason text) RETURNS bigint LANGUAGE plpgsql"
        " AS $$ BEGIN RAISE EXCEPTION 'write conflict: %', reason"
        " USING ERRCODE = 'serialization_failure'; END $$"
    )


def downgrade() -> None:
    raise NotImplementedError("the orders history is forward-only")
