"""Replay gives the live ledger's digest; dead letters can be listed and redriven."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.ledger.adapters.db.digest import digest_of
from services.ledger.adapters.db.tables import processed_events
from services.ledger.domain.fold import fold
from services.ledger.domain.journal import balances
from services.ledger.domain.outputs import Incoming
from services.ledger.domain.state import LedgerState
from shared.db.outbox import OutgoingRecord
from shared.events.orders_v1 import OrderCancelled, OrderPlaced, OrderRefunded
from shared.events.payouts_v1 import PayoutCreated, PayoutFailed, SettlementReleased
from shared.kafka.producer import KafkaSender
from shared.kafka.topics import ensure_topics
from tests.support.infra import KAFKA_BOOTSTRAP, fresh_database, unique_name, wait_until
from tests.support.ledger_db import migrate
from tests.support.ledger_events import T0, OrderStream, Sent, envelope_record, new_id, placed
from tests.support.ledger_process import ledger_env, run_command, start_fold, stop


def processed_count(engine: AsyncEngine) -> Callable[[int], Callable[[], Awaitable[bool]]]:
    def reached(expected: int) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            async with engine.connect() as conn:
                count = await conn.scalar(select(func.count()).select_from(processed_events))
            return count == expected

        return check

    return reached


def releases_and_later_events(stream: list[Sent], rng: random.Random) -> list[Sent]:
    """Releases for some orders, then clawback refunds and a created/failed payout."""
    orders: dict[str, OrderPlaced] = {}
    refunded: dict[str, int] = {}
    cancelled: set[str] = set()
    for sent in stream:
        event = sent.event
        if isinstance(event, OrderPlaced):
            orders[event.order_id] = event
        elif isinstance(event, OrderRefunded):
            refunded[event.order_id] = event.refunded_total
        elif isinstance(event, OrderCancelled):
            cancelled.add(event.order_id)
    later: list[Sent] = []
    released = [o for o in orders.values() if rng.random() < 0.5]
    for order in released:
        leg = {"party_type": "merchant", "party_id": order.shop_id, "amount": 0}
        release = {
            "order_id": order.order_id,
            "shop_id": order.shop_id,
            "currency": order.currency,
            "released_at": T0 + timedelta(days=20),
            "legs": [leg],
        }
        later.append(Sent(new_id(), SettlementReleased.model_validate(release)))
    for order in released[:40]:
        before = refunded.get(order.order_id, 0)
        if order.order_id in cancelled or before >= order.paid_total:
            continue
        amount = rng.randint(1, order.paid_total - before)
        refund = OrderRefunded(
            order_id=order.order_id,
            shop_id=order.shop_id,
            refund_id=f"{order.order_id}-late",
            amount=amount,
            occurred_at=T0 + timedelta(days=21),
            refunded_total=before + amount,
        )
        later.append(Sent(new_id(), refund))
    payout = {
        "payout_id": "p-1",
        "run_id": "run-1",
        "party_type": "merchant",
        "party_id": "shop-1",
        "currency": "GBP",
        "amount": 1000,
        "created_at": T0 + timedelta(days=22),
    }
    later.append(Sent(new_id(), PayoutCreated.model_validate(payout)))
    failed = {**payout, "reason": "account closed", "failed_at": T0 + timedelta(days=23)}
    del failed["created_at"]
    later.append(Sent(new_id(), PayoutFailed.model_validate(failed)))
    return later


async def test_two_replays_and_the_live_ledger_have_the_same_digest() -> None:
    topics = {name: unique_name(f"replay_{name}") for name in ("orders", "payouts", "ledger")}
    await ensure_topics(KAFKA_BOOTSTRAP, topics.values())
    rng = random.Random(77)
    stream = OrderStream(seed=77).events(500)
    later = releases_and_later_events(stream, rng)
    async with AsyncExitStack() as stack:
        url, engine = await stack.enter_async_context(fresh_database("ledger_live"))
        replay_urls = [
            (await stack.enter_async_context(fresh_database("ledger_replay")))[0] for _ in range(2)
        ]
        for database in (url, *replay_urls):
            await migrate(database)
        sender = KafkaSender(KAFKA_BOOTSTRAP, client_id="replay-test")
        await sender.start()
        stack.push_async_callback(sender.stop)
        live = ledger_env(url, topics)
        process = await start_fold(live)
        stack.push_async_callback(stop, process)
        reached = processed_count(engine)

        await sender.send_batch([envelope_record(topics["orders"], s) for s in stream])
        await wait_until(reached(len(stream)), timeout_s=60, interval_s=0.2)
        payouts_events = [s for s in later if not isinstance(s.event, OrderRefunded)]
        refunds = [s for s in later if isinstance(s.event, OrderRefunded)]
        await sender.send_batch([envelope_record(topics["payouts"], s) for s in payouts_events])
        await wait_until(reached(len(stream) + len(payouts_events)), timeout_s=60)
        await sender.send_batch([envelope_record(topics["orders"], s) for s in refunds])
        await wait_until(reached(len(stream) + len(later)), timeout_s=60)

        live_digest = await run_command(live, "digest")
        replays = [await run_command(ledger_env(u, topics), "replay") for u in replay_urls]

    expected = fold(
        LedgerState(), [Incoming(s.event_id, s.event) for s in (*stream, *payouts_events, *refunds)]
    )
    kinds = {entry.kind for entry in expected.entries}
    assert {"order_released", "order_clawback", "payout_created", "payout_failed"} <= kinds
    pure_digest = digest_of([(a.code, n) for a, n in balances(expected.entries).items()])
    assert live_digest == {"digest": pure_digest, "entries": len(expected.entries)}
    assert [r["digest"] for r in replays] == [live_digest["digest"]] * 2
    assert all(r["dead_letters"] == 0 for r in replays)


async def test_a_dead_letter_is_listed_and_folds_once_redriven() -> None:
    topics = {name: unique_name(f"dlq_{name}") for name in ("orders", "payouts", "ledger")}
    await ensure_topics(KAFKA_BOOTSTRAP, topics.values())
    order = placed("o-late")
    early_release = Sent(
        new_id(),
        SettlementReleased.model_validate(
            {
                "order_id": "o-late",
                "shop_id": "shop-1",
                "currency": "GBP",
                "released_at": T0 + timedelta(days=20),
                "legs": [{"party_type": "merchant", "party_id": "shop-1", "amount": 3303}],
            }
        ),
    )
    garbage = OutgoingRecord(topics["orders"], b"o-x", b"{not json", [("ce_id", b"junk")])
    async with fresh_database("ledger_dlq") as (url, engine):
        await migrate(url)
        env = ledger_env(url, topics)
        sender = KafkaSender(KAFKA_BOOTSTRAP, client_id="dlq-test")
        await sender.start()
        process = await start_fold(env)
        try:
            await sender.send_batch([envelope_record(topics["payouts"], early_release), garbage])

            async def dead_letters(count: int) -> list[dict[str, object]]:
                async def listed() -> bool:
                    found = await run_command(env, "dlq", "list")
                    return len(found) == count

                await wait_until(listed, timeout_s=60, interval_s=1)
                listed_now: list[dict[str, object]] = await run_command(env, "dlq", "list")
                return listed_now

            first = await dead_letters(2)
            assert {item["ce_id"] for item in first} == {early_release.event_id, "junk"}
            assert not any(item["redriven"] for item in first)
            assert "has not been placed" in str(
                next(i["error"] for i in first if i["ce_id"] == early_release.event_id)
            )

            await sender.send_batch([envelope_record(topics["orders"], Sent(new_id(), order))])
            await wait_until(processed_count(engine)(1), timeout_s=30)
            assert await run_command(env, "dlq", "redrive") == {"redriven": 2}
            # The release now folds; the garbage fails again and is dead-lettered again.
            await wait_until(processed_count(engine)(2), timeout_s=30)
            again = await dead_letters(3)
            assert [item["redriven"] for item in again].count(True) == 2
            assert await run_command(env, "dlq", "redrive") == {"redriven": 1}
        finally:
            await stop(process)
            await sender.stop()
        digest = await run_command(env, "digest")
    assert digest["entries"] == 2  # the placement and the redriven release
    await asyncio.sleep(0)
