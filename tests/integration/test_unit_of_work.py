"""`shared.db.unit_of_work.SqlUnitOfWork` on real PostgreSQL: a commit keeps everything, an
exception or a missing commit keeps nothing, `claim_new` hands each event id out once, and a
REPEATABLE READ unit of work reads one snapshot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Column, MetaData, Table, Text, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.inbox import define_inbox_tables
from shared.db.outbox import define_outbox_table
from shared.db.unit_of_work import InboxTables, NotInTransactionError, SqlUnitOfWork
from shared.events.envelope import KafkaRecord
from tests.support.infra import fresh_database

metadata = MetaData()
outbox = define_outbox_table(metadata)
processed, positions = define_inbox_tables(metadata)
notes = Table("notes", metadata, Column("text", Text, nullable=False))


@dataclass(frozen=True)
class Message:
    event_id: str
    body: str


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    async with fresh_database("uow") as (_, engine):
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        yield engine


def unit_of_work(engine: AsyncEngine, consumer: str = "c") -> SqlUnitOfWork:
    return SqlUnitOfWork(engine, outbox=outbox, inbox=InboxTables(consumer, processed, positions))


async def write_everything(uow: SqlUnitOfWork) -> None:
    await uow.connection.execute(insert(notes).values(text="written"))
    await uow.claim_new([Message("e-1", "one")])
    await uow.save_positions({("t", 0): 7})
    record = KafkaRecord(b"k", b"{}", [("ce_id", b"e-1")])
    await uow.add_to_outbox("topic", [record])


async def counts(engine: AsyncEngine) -> tuple[int, int, int, int]:
    async with engine.connect() as conn:
        return (
            await conn.scalar(select(func.count()).select_from(notes)) or 0,
            await conn.scalar(select(func.count()).select_from(processed)) or 0,
            await conn.scalar(select(func.count()).select_from(positions)) or 0,
            await conn.scalar(select(func.count()).select_from(outbox)) or 0,
        )


async def test_a_commit_keeps_the_state_the_claims_the_positions_and_the_outbox(
    engine: AsyncEngine,
) -> None:
    async with unit_of_work(engine) as uow:
        await write_everything(uow)
        await uow.commit()

    assert uow.committed
    assert await counts(engine) == (1, 1, 1, 1)
    async with unit_of_work(engine) as uow:
        assert await uow.stored_positions() == {("t", 0): 7}


async def test_an_exception_rolls_everything_back(engine: AsyncEngine) -> None:
    with pytest.raises(RuntimeError, match="mid-batch"):
        async with unit_of_work(engine) as uow:
            await write_everything(uow)
            raise RuntimeError("mid-batch")

    assert not uow.committed
    assert await counts(engine) == (0, 0, 0, 0)


async def test_leaving_without_a_commit_rolls_everything_back(engine: AsyncEngine) -> None:
    async with unit_of_work(engine) as uow:
        await write_everything(uow)

    assert not uow.committed
    assert await counts(engine) == (0, 0, 0, 0)
    with pytest.raises(NotInTransactionError):
        _ = uow.connection


async def test_claim_new_returns_only_new_messages_once_each_in_batch_order(
    engine: AsyncEngine,
) -> None:
    async with unit_of_work(engine) as uow:
        first = await uow.claim_new([Message("e-1", "a"), Message("e-2", "b")])
        await uow.commit()
    async with unit_of_work(engine) as uow:
        batch = [
            Message("e-3", "c"),
            Message("e-1", "a again"),
            Message("e-3", "c repeated in the batch"),
            Message("e-4", "d"),
        ]
        second = await uow.claim_new(batch)
        await uow.commit()
    async with unit_of_work(engine, consumer="another consumer") as uow:
        other = await uow.claim_new([Message("e-1", "a")])

    assert [m.body for m in first] == ["a", "b"]
    assert [m.body for m in second] == ["c", "d"]
    assert [m.body for m in other] == ["a"]  # each consumer has its own inbox


async def test_a_claim_rolled_back_is_claimed_again(engine: AsyncEngine) -> None:
    async with unit_of_work(engine) as uow:
        assert len(await uow.claim_new([Message("e-1", "a")])) == 1
    async with unit_of_work(engine) as uow:
        assert len(await uow.claim_new([Message("e-1", "a")])) == 1


async def test_a_repeatable_read_unit_of_work_reads_one_snapshot(engine: AsyncEngine) -> None:
    async def count_notes(uow: SqlUnitOfWork) -> int:
        return await uow.connection.scalar(select(func.count()).select_from(notes)) or 0

    snapshot = SqlUnitOfWork(engine, isolation_level="REPEATABLE READ")
    default = SqlUnitOfWork(engine)
    async with snapshot, default:
        before = (await count_notes(snapshot), await count_notes(default))
        async with engine.begin() as conn:
            await conn.execute(insert(notes).values(text="committed meanwhile"))
        after = (await count_notes(snapshot), await count_notes(default))

    assert before == (0, 0)
    assert after == (0, 1)  # READ COMMITTED sees the new row, the snapshot does not
