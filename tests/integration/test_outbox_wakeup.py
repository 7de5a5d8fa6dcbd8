"""The relay wakes on commit (LISTEN/NOTIFY) instead of polling, and still polls without it."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.outbox import OutgoingRecord, add_to_outbox, define_outbox_table, outbox_notify_ddl
from shared.db.outbox_relay import OutboxRelay
from tests.support.infra import fresh_database


class Recorder:
    def __init__(self) -> None:
        self.sent_at: list[float] = []

    async def send(self, records: object) -> None:
        self.sent_at.append(time.monotonic())


async def commit_one(engine: AsyncEngine, outbox_table: object) -> float:
    async with engine.begin() as conn:
        record = OutgoingRecord("t", b"k", b"v", [("ce_id", b"1")])
        await add_to_outbox(conn, outbox_table, "t", [record])  # type: ignore[arg-type]
    return time.monotonic()


async def published_after(engine: AsyncEngine, *, trigger: bool, idle_poll_s: float) -> float:
    """Seconds from a commit to its publication by a listening relay."""
    metadata = MetaData()
    outbox = define_outbox_table(metadata)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        if trigger:
            for statement in outbox_notify_ddl(outbox.name):
                await conn.execute(text(statement))
    recorder = Recorder()
    relay = OutboxRelay(engine, outbox, recorder.send, listen=True, idle_poll_s=idle_poll_s)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    await asyncio.sleep(0.5)  # the relay is idle, waiting
    committed_at = await commit_one(engine, outbox)
    for _ in range(200):  # bounded: at most 10 s
        if recorder.sent_at:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await task
    assert recorder.sent_at, "the committed row was never published"
    return recorder.sent_at[0] - committed_at


async def test_a_commit_wakes_the_listening_relay_at_once() -> None:
    async with fresh_database("outbox_wake") as (_, engine):
        delay = await published_after(engine, trigger=True, idle_poll_s=30)
    assert delay < 1.0  # far below the 30 s idle poll: the NOTIFY woke it


async def test_without_the_trigger_the_relay_still_publishes_by_polling() -> None:
    async with fresh_database("outbox_poll") as (_, engine):
        delay = await published_after(engine, trigger=False, idle_poll_s=1.5)
    assert 0.0 <= delay < 3.0
