"""``replay --mode verify`` on real Kafka and PostgreSQL: it agrees with a live ledger that folded
the same topics, and names the account when the database was tampered with."""

from __future__ import annotations

import asyncio
import json
import random
import sys
from contextlib import AsyncExitStack
from typing import Any

from sqlalchemy import text

from shared.events.orders_v1 import OrderRefunded
from shared.kafka.producer import KafkaSender
from shared.kafka.topics import ensure_topics
from tests.integration.ledger.test_replay_and_dead_letters import (
    processed_count,
    releases_and_later_events,
)
from tests.support.infra import KAFKA_BOOTSTRAP, fresh_database, unique_name, wait_until
from tests.support.ledger_db import migrate
from tests.support.ledger_events import OrderStream, envelope_record
from tests.support.ledger_process import ROOT, ledger_env, start_fold, stop


async def verify(env: dict[str, str], workers: int) -> tuple[int, dict[str, Any], str]:
    """Exit code, result line and stderr of ``replay --mode verify``."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.ledger",
        "replay",
        "--mode",
        "verify",
        "--workers",
        str(workers),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, json.loads(stdout.decode().splitlines()[-1]), stderr.decode()


async def test_verify_agrees_with_the_live_ledger_and_names_a_tampered_account() -> None:
    topics = {name: unique_name(f"verify_{name}") for name in ("orders", "payouts", "ledger")}
    await ensure_topics(KAFKA_BOOTSTRAP, topics.values())
    stream = OrderStream(seed=31).events(400)
    later = releases_and_later_events(stream, random.Random(31))
    async with AsyncExitStack() as stack:
        url, engine = await stack.enter_async_context(fresh_database("ledger_verify"))
        await migrate(url)
        sender = KafkaSender(KAFKA_BOOTSTRAP, client_id="verify-test")
        await sender.start()
        stack.push_async_callback(sender.stop)
        env = ledger_env(url, topics)
        process = await start_fold(env)
        reached = processed_count(engine)
        await sender.send_batch([envelope_record(topics["orders"], s) for s in stream])
        await wait_until(reached(len(stream)), timeout_s=60, interval_s=0.2)
        payouts = [s for s in later if not isinstance(s.event, OrderRefunded)]
        refunds = [s for s in later if isinstance(s.event, OrderRefunded)]
        await sender.send_batch([envelope_record(topics["payouts"], s) for s in payouts])
        await wait_until(reached(len(stream) + len(payouts)), timeout_s=60)
        await sender.send_batch([envelope_record(topics["orders"], s) for s in refunds])
        await wait_until(reached(len(stream) + len(later)), timeout_s=60)
        await stop(process)

        results = [await verify(env, workers) for workers in (1, 2)]
        for code, result, _ in results:
            assert code == 0, result
            assert result["matches"] is True
            assert result["digest"] == result["live_digest"]
            assert result["entries"] == result["live_entries"] > 400
            assert result["records"] == result["events_folded"] == len(stream) + len(later)
            assert result["dead_letters"] == 0

        async with engine.begin() as conn:
            # The journal refuses changes; its owner can switch the triggers off (tampering).
            await conn.execute(text("SET session_replication_role = replica"))
            account = await conn.scalar(
                text(
                    "DELETE FROM postings WHERE (entry_id, line_no) IN (SELECT entry_id, line_no "
                    "FROM postings WHERE account LIKE 'creator/%' LIMIT 1) RETURNING account"
                )
            )
        code, result, stderr = await verify(env, 2)

    assert code == 1
    assert result["matches"] is False
    assert result["differing_accounts"] == 1
    assert [d["account"] for d in result["differences"]] == [account]
    assert f"replay verify: {account}: replayed" in stderr
    assert "folded" in stderr  # progress lines
