"""`locked_outbox_insert_sql`: the outbox write of `add_to_outbox` in one statement, on real
PostgreSQL."""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.outbox import (
    OutgoingRecord,
    add_to_outbox,
    define_outbox_table,
    locked_outbox_insert_args,
    locked_outbox_insert_sql,
)
from tests.support.infra import fresh_database

TOPIC = "orders.test"
RECORDS = [
    OutgoingRecord(TOPIC, b"order-2", b"placed", [("ce_id", b"e-1"), ("ce_type", b"placed")]),
    OutgoingRecord(TOPIC, b"order-1", b"placed", [("ce_id", b"e-2")]),
    OutgoingRecord(TOPIC, b"order-2", b"delivered", [("ce_id", b"e-3")]),
]
metadata = MetaData()
outbox = define_outbox_table(metadata)


async def _rows(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        statement = select(outbox.c.topic, outbox.c.key, outbox.c.value, outbox.c.headers)
        return [tuple(row) for row in await conn.execute(statement.order_by(outbox.c.id))]


async def _key_is_free(engine: AsyncEngine, key: bytes) -> bool:
    async with engine.begin() as conn:
        free = await conn.exec_driver_sql(
            "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 7))", (key.hex(),)
        )
        return bool(free.scalar())


async def test_one_statement_stores_the_rows_add_to_outbox_stores_in_the_same_order() -> None:
    async with fresh_database("outbox_one") as (_, engine):
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        async with engine.begin() as conn:
            await add_to_outbox(conn, outbox, TOPIC, RECORDS)
        expected = await _rows(engine)
        async with engine.begin() as conn:
            await conn.execute(outbox.delete())

        async with engine.connect() as conn:
            driver: asyncpg.Connection = (await conn.get_raw_connection()).driver_connection
            async with driver.transaction():
                await driver.execute(
                    locked_outbox_insert_sql(outbox), *locked_outbox_insert_args(TOPIC, RECORDS)
                )

        assert await _rows(engine) == expected
        assert [row[2] for row in expected] == [b"placed", b"placed", b"delivered"]


async def test_the_keys_stay_locked_like_add_to_outbox_locks_them_until_commit() -> None:
    async with fresh_database("outbox_one") as (_, engine):
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        async with engine.connect() as conn:
            driver: asyncpg.Connection = (await conn.get_raw_connection()).driver_connection
            async with driver.transaction():
                await driver.execute(
                    locked_outbox_insert_sql(outbox), *locked_outbox_insert_args(TOPIC, RECORDS)
                )
                held = [await _key_is_free(engine, key) for key in (b"order-1", b"order-2")]
                other = await _key_is_free(engine, b"order-3")
            released = [await _key_is_free(engine, key) for key in (b"order-1", b"order-2")]

    assert held == [False, False]
    assert other is True
    assert released == [True, True]


async def test_a_caller_can_put_its_own_statement_before_the_outbox_rows() -> None:
    async with fresh_database("outbox_one") as (_, engine):
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.exec_driver_sql("CREATE TABLE notes (body text)")
        sql = locked_outbox_insert_sql(
            outbox, first_param=2, also_with="note AS (INSERT INTO notes VALUES ($1))"
        )
        async with engine.connect() as conn:
            driver: asyncpg.Connection = (await conn.get_raw_connection()).driver_connection
            async with driver.transaction():
                await driver.execute(sql, "hello", *locked_outbox_insert_args(TOPIC, RECORDS[:1]))
            notes = await driver.fetch("SELECT body FROM notes")

        assert [note["body"] for note in notes] == ["hello"]
        assert [row[1] for row in await _rows(engine)] == [b"order-2"]
