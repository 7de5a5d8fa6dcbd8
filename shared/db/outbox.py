"""Transactional outbox: events are rows written in the same transaction as the state change.

Writers call `add_to_outbox` inside their unit of work; `OutboxRelay` publishes committed rows
later. Per-key order on the topic equals commit order per key because every writer takes a
transaction-scoped advisory lock on each key it writes: a second writer of the same key waits
until the first commits, so its row id (and the relay's publication order) comes after.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    LargeBinary,
    MetaData,
    Table,
    Text,
    func,
    insert,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection


class RecordLike(Protocol):
    @property
    def key(self) -> bytes: ...
    @property
    def value(self) -> bytes: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


@dataclass(frozen=True, slots=True)
class OutgoingRecord:
    """A Kafka record bound for `topic`, as the relay sends it."""

    topic: str
    key: bytes
    value: bytes
    headers: Sequence[tuple[str, bytes]]


def define_outbox_table(metadata: MetaData) -> Table:
    """The outbox table; each service adds it to its own metadata and migrations."""
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("topic", Text, nullable=False),
        Column("key", LargeBinary, nullable=False),
        Column("value", LargeBinary, nullable=False),
        Column("headers", JSONB, nullable=False, doc="[[name, utf-8 value], ...]"),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Index(
            "outbox_unpublished",
            "id",
            postgresql_where=text("published_at IS NULL"),
        ),
    )


OUTBOX_CHANNEL = "outbox_committed"


def outbox_notify_ddl(table: str = "outbox") -> tuple[str, ...]:
    """A statement trigger that wakes listening relays when outbox rows commit (PostgreSQL
    delivers NOTIFY at commit, and once per transaction however many rows it inserted)."""
    return (
        f"CREATE OR REPLACE FUNCTION {table}_notify() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN PERFORM pg_notify('{OUTBOX_CHANNEL}', ''); RETURN NULL; END $$",
        f"CREATE TRIGGER {table}_notify AFTER INSERT ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_notify()",
    )


async def lock_keys(conn: AsyncConnection, keys: Sequence[bytes]) -> None:
    """Serialize writers per key until commit (sorted, so two writers never deadlock)."""
    distinct = sorted({key.hex() for key in keys})
    if not distinct:
        return
    await conn.execute(
        text(
            "SELECT pg_advisory_xact_lock(h) FROM "
            "(SELECT DISTINCT hashtextextended(k, 7) AS h FROM unnest(CAST(:keys AS text[])) k) s "
            "ORDER BY h"
        ),
        {"keys": distinct},
    )


async def add_to_outbox(
    conn: AsyncConnection, outbox: Table, topic: str, records: Sequence[RecordLike]
) -> None:
    """Queue records for `topic` in the caller's transaction; nothing is sent before commit."""
    if not records:
        return
    await lock_keys(conn, [record.key for record in records])
    await conn.execute(
        insert(outbox),
        [
            {
                "topic": topic,
                "key": record.key,
                "value": record.value,
                "headers": [[name, value.decode()] for name, value in record.headers],
            }
            for record in records
        ],
    )


def locked_outbox_insert_sql(outbox: Table, *, first_param: int = 1, also_with: str = "") -> str:
    """One statement that does what `add_to_outbox` does in two round trips: take the same
    per-key advisory locks (sorted, so writers never deadlock), then insert the rows in order.

    Parameters ``$first_param`` .. ``$first_param + 4`` are `locked_outbox_insert_args`, in
    order; the statement reads them only, so a caller may put its own parameters before them and
    its own data-modifying CTEs (``name AS (...)``, comma-separated) in ``also_with``. The rows
    draw their ids only after every lock is held, which is what keeps per-key order on the topic.
    Run it with the asyncpg driver connection inside the caller's transaction.
    """
    locks, insert = _locked_outbox_insert(outbox, first_param)
    ctes = f"{also_with}, {locks}" if also_with else locks
    return f"WITH {ctes} {insert}"


def locked_outbox_insert_ctes(outbox: Table, *, first_param: int = 1) -> str:
    """`locked_outbox_insert_sql` as two CTEs (``outbox_locks``, then ``outbox_rows``, which
    returns one row per inserted record), for a caller whose statement does more and returns
    something of its own: ``WITH <its CTEs>, <these> SELECT ...``. Same parameters."""
    locks, insert = _locked_outbox_insert(outbox, first_param)
    return f"{locks}, outbox_rows AS ({insert} RETURNING 1)"


def _locked_outbox_insert(outbox: Table, first_param: int) -> tuple[str, str]:
    # Only placeholders and the table's own name are put into the text; every value is bound.
    keys, topic, key_values, values, headers = (f"${first_param + n}" for n in range(5))
    locks = (
        "outbox_locks AS (SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT "  # noqa: S608
        f"hashtextextended(k, 7) AS h FROM unnest({keys}::text[]) k) s ORDER BY h)"
    )
    insert = (
        f'INSERT INTO "{outbox.name}" (topic, key, value, headers) '  # noqa: S608
        f"SELECT {topic}::text, r.key, r.value, r.headers FROM unnest("
        f"{key_values}::bytea[], {values}::bytea[], {headers}::jsonb[]) "
        "WITH ORDINALITY AS r(key, value, headers, n) "
        "CROSS JOIN (SELECT count(*) FROM outbox_locks) AS held ORDER BY r.n"
    )
    return locks, insert


def locked_outbox_insert_args(
    topic: str, records: Sequence[RecordLike]
) -> tuple[list[str], str, list[bytes], list[bytes], list[str]]:
    """The five parameters of `locked_outbox_insert_sql` for ``records`` (headers as JSON text,
    ``[[name, utf-8 value], ...]``, the shape `add_to_outbox` stores)."""
    return (
        sorted({record.key.hex() for record in records}),
        topic,
        [record.key for record in records],
        [record.value for record in records],
        [
            json.dumps([[name, value.decode()] for name, value in record.headers])
            for record in records
        ],
    )
