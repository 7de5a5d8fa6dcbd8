"""Exactly-once folding from real Kafka while the ledger process is killed with SIGKILL."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import func, select

from services.ledger.adapters.db.read_repository import account_balances, trial_balance
from services.ledger.adapters.db.tables import journal_entries, processed_events
from services.ledger.domain.fold import fold
from services.ledger.domain.journal import balances
from services.ledger.domain.outputs import Incoming
from services.ledger.domain.state import LedgerState
from shared.kafka.producer import KafkaSender
from shared.kafka.topics import ensure_topics
from tests.support.infra import KAFKA_BOOTSTRAP, fresh_database, unique_name, wait_until
from tests.support.ledger_db import migrate
from tests.support.ledger_events import OrderStream, envelope_record
from tests.support.ledger_process import ledger_env, start_fold, stop


@pytest.mark.parametrize(
    ("folders", "orders", "kills"),
    [
        pytest.param(1, 2300, 10, id="one folder killed ten times"),
        # Two folders in different groups both read every partition, so they race on the same
        # events (as replicas do around a rebalance): only the inbox keeps them exactly once.
        pytest.param(2, 900, 6, id="two racing folders killed in turn"),
    ],
)
async def test_no_entry_is_lost_or_doubled_when_folders_are_killed_mid_stream(
    folders: int, orders: int, kills: int
) -> None:
    topics = {name: unique_name(f"kill9_{name}") for name in ("orders", "payouts", "ledger")}
    await ensure_topics(KAFKA_BOOTSTRAP, topics.values())
    stream = OrderStream(seed=904).events(orders)
    assert len(stream) >= 2 * orders
    rng = random.Random(904 + folders)
    # The producer repeats some events, as an at-least-once upstream would.
    sent = [*stream, *rng.sample(stream, 200)]
    rng.shuffle(sent[len(stream) :])
    expected = fold(LedgerState(), [Incoming(s.event_id, s.event) for s in stream])

    async with fresh_database("ledger_kill9") as (url, engine):
        await migrate(url)
        # Small batches: more commits, so a kill lands between or inside many transactions.
        env = {**ledger_env(url, topics), "LEDGER_FOLD_BATCH_SIZE": "100"}
        sender = KafkaSender(KAFKA_BOOTSTRAP, client_id="kill9-test")
        await sender.start()

        async def produce() -> None:
            """Streams for about as long as the kills take, so they land mid-stream."""
            chunks = [sent[start : start + 50] for start in range(0, len(sent), 50)]
            pause = kills * 1.0 / len(chunks)
            for chunk in chunks:
                await sender.send_batch([envelope_record(topics["orders"], s) for s in chunk])
                await asyncio.sleep(pause)

        async def folded() -> int:
            async with engine.connect() as conn:
                count = await conn.scalar(select(func.count()).select_from(processed_events))
            return int(count or 0)

        def progressed_since(baseline: int) -> Callable[[], Awaitable[bool]]:
            async def check() -> bool:
                now = await folded()
                return now > baseline or now == len(stream)

            return check

        producing = asyncio.create_task(produce())
        processes = [await start_fold(env) for _ in range(folders)]
        folded_at_kills: list[int] = []
        try:
            while len(folded_at_kills) < kills or not producing.done():
                # Start-up time varies with the box's load: kill at a random instant after the
                # restarted process has folded something, so each kill lands mid-stream.
                baseline = await folded()
                await wait_until(progressed_since(baseline), timeout_s=60, interval_s=0.1)
                await asyncio.sleep(rng.uniform(0.0, 0.6))
                victim = rng.randrange(folders)
                processes[victim].kill()  # SIGKILL: no cleanup, wherever it was
                await processes[victim].wait()
                folded_at_kills.append(await folded())
                processes[victim] = await start_fold(env)
            await producing
            await wait_until(lambda: _equals(folded, len(stream)), timeout_s=90, interval_s=0.5)
        finally:
            for process in processes:
                await stop(process)
            await sender.stop()

        async with engine.connect() as conn:
            entry_ids = (await conn.execute(select(journal_entries.c.event_id))).scalars().all()
            totals = await trial_balance(conn)
            stored = dict(await account_balances(conn))

    # The kills hit processes that were mid-stream, not idling before or after it.
    assert len([n for n in folded_at_kills if 0 < n < len(stream)]) >= kills // 2, folded_at_kills
    assert sorted(entry_ids) == sorted(entry.event_id for entry in expected.entries)
    assert totals and all(total == 0 for _, total, _ in totals)
    assert stored == {
        account.code: amount for account, amount in balances(expected.entries).items()
    }


async def _equals(count: object, expected: int) -> bool:
    assert callable(count)
    return bool(await count() == expected)
