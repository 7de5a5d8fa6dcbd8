"""Alembic operations for the shared tables, frozen at the version a migration first created.

Service migrations call these instead of repeating the DDL; a later change to a shared table gets
a new function here (e.g. `..._v2`) and a new migration in each service, never an edit of v1.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from shared.db.outbox import outbox_notify_ddl


def create_outbox_v1() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("key", sa.LargeBinary, nullable=False),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("headers", JSONB, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "outbox_unpublished", "outbox", ["id"], postgresql_where=sa.text("published_at IS NULL")
    )


def create_inbox_v1() -> None:
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column(
            "processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_table(
        "consumer_positions",
        sa.Column("consumer", sa.Text, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("next_offset", sa.BigInteger, nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("consumer", "topic", "partition"),
    )


def create_outbox_notify_v1() -> None:
    """Wake the outbox relay on commit instead of letting it poll (see shared.db.outbox)."""
    for statement in outbox_notify_ddl("outbox"):
        op.execute(statement)
