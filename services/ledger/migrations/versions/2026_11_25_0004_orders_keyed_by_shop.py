"""Orders are identified by (shop_id, order_id): two shops may use the same order id.

``ledger_orders`` gets ``shop_id`` (from the stored placement) in its primary key. Journal entries
get a ``shop_id`` column for the entries written from now on; the journal is append-only, so the
entries already written are not updated: the orders placed before this revision are marked
``legacy`` (their order ids were unique across shops then), and an entry without ``shop_id``
belongs to its order's legacy row.

Revision ID: ledger_0004
Revises: ledger_0003
Create Date: 2026-11-25
"""

from alembic import op

revision = "ledger_0004"
down_revision = "ledger_0003"
branch_labels = None
depends_on = None


_STATEMENTS = (
    "ALTER TABLE ledger_orders ADD COLUMN shop_id text NULL",
    "ALTER TABLE ledger_orders ADD COLUMN legacy boolean NOT NULL DEFAULT false",
    "UPDATE ledger_orders SET shop_id = placed ->> 'shop_id', legacy = true",
    "ALTER TABLE ledger_orders ALTER COLUMN shop_id SET NOT NULL",
    "ALTER TABLE ledger_orders DROP CONSTRAINT ledger_orders_pkey",
    "ALTER TABLE ledger_orders ADD PRIMARY KEY (shop_id, order_id)",
    "CREATE UNIQUE INDEX ledger_orders_one_legacy_per_id ON ledger_orders (order_id) WHERE legacy",
    "ALTER TABLE journal_entries ADD COLUMN shop_id text NULL",
    "COMMENT ON COLUMN journal_entries.shop_id IS 'shop of the entry''s order; NULL for entries "
    "of no order and for entries written before orders were keyed by shop (those belong to the "
    "order''s legacy ledger_orders row)'",
)


def upgrade() -> None:
    for statement in _STATEMENTS:  # the asyncpg driver runs one statement per call
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("the ledger history is forward-only")
