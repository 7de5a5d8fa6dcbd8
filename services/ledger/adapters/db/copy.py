"""``COPY`` of rows into a table, in the transaction a connection has open."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection


async def copy_records(
    conn: AsyncConnection, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """One ``COPY`` of ``rows`` (tuples in ``columns`` order); ``conn`` must already have run a
    statement, since the driver opens the transaction lazily and a COPY before that would
    commit on its own."""
    if not rows:
        return
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.copy_records_to_table(table, records=rows, columns=list(columns))
