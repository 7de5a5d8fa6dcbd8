"""The payouts handlers over an in-memory unit of work: what a batch changes, exactly once, and
nothing at all when it cannot apply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.payouts.adapters.kafka.ledger_consumer import LedgerBatchConsumer
from services.payouts.domain.balances import Payee
from services.payouts.domain.errors import PayoutsDomainError
from services.payouts.service.handlers import (
    LedgerMessage,
    handle_ledger_events,
    skip_ledger_records,
    stored_ledger_positions,
)
from services.payouts.service.release import release_due_holds
from shared.events import ledger_v1, payouts_v1
from shared.events.common import Leg
from shared.events.envelope import from_kafka
from shared.events.terms import ReleaseTerms
from shared.kafka.consumer import ConsumedRecord
from tests.support.payouts_uow import FakeUnitOfWork, PayoutsState

T0 = datetime(2026, 11, 1, 8, tzinfo=UTC)
LEGS = [
    Leg(party_type="merchant", party_id="shop-1", amount=3_000),
    Leg(party_type="creator", party_id="c-1", amount=800),
    Leg(party_type="platform", party_id="platform-UK", amount=499),
]
UK_TERMS = ReleaseTerms(after_sales_window_days=14, release_rule="next_day", min_payout=1_000)
MERCHANT = Payee("merchant", "shop-1", "GBP")
CREATOR = Payee("creator", "c-1", "GBP")


def posted(order_id: str) -> LedgerMessage:
    return LedgerMessage(
        f"posted-{order_id}",
        ledger_v1.LedgerOrderPosted(
            order_id=order_id,
            shop_id="shop-1",
            region="UK",
            currency="GBP",
            occurred_at=T0,
            paid_total=4_299,
            legs=LEGS,
            release_terms=UK_TERMS,
        ),
    )


def delivered(order_id: str, at: datetime = T0 + timedelta(days=1)) -> LedgerMessage:
    return LedgerMessage(
        f"delivered-{order_id}",
        ledger_v1.LedgerOrderDelivered(
            order_id=order_id, shop_id="shop-1", currency="GBP", delivered_at=at
        ),
    )


def released(order_id: str) -> LedgerMessage:
    return LedgerMessage(
        f"released-{order_id}",
        ledger_v1.LedgerOrderReleased(
            order_id=order_id,
            shop_id="shop-1",
            currency="GBP",
            released_at=T0 + timedelta(days=16),
            legs=LEGS,
        ),
    )


def unit_of_work(state: PayoutsState, now: datetime = T0) -> FakeUnitOfWork:
    return FakeUnitOfWork(state, now)


async def test_a_batch_holds_delivers_and_releases_in_one_commit_with_its_positions() -> None:
    state = PayoutsState()
    batch = [posted("o-1"), delivered("o-1"), posted("o-2"), released("o-1")]

    await handle_ledger_events(batch, {("ledger.v1", 0): 4}, unit_of_work(state))

    assert state.commits == 1
    assert {key: h.status for key, h in state.holds.items()} == {
        ("shop-1", "o-1"): "released",
        ("shop-1", "o-2"): "awaiting_delivery",
    }
    assert state.released_by_ledger == {("shop-1", "o-1")}
    assert state.available == {MERCHANT: 3_000, CREATOR: 800}  # platform is not a payee
    assert state.min_payouts == {MERCHANT: 1_000, CREATOR: 1_000}
    assert state.positions == {("ledger.v1", 0): 4}
    assert state.processed == {m.event_id for m in batch}


async def test_an_event_repeated_in_the_batch_or_redelivered_later_applies_once() -> None:
    state = PayoutsState()
    await handle_ledger_events(
        [posted("o-1"), released("o-1"), released("o-1")], {("l", 0): 3}, unit_of_work(state)
    )
    await handle_ledger_events([released("o-1")], {("l", 0): 4}, unit_of_work(state))

    assert state.available == {MERCHANT: 3_000, CREATOR: 800}
    assert state.positions == {("l", 0): 4}
    assert state.commits == 2


async def test_a_batch_with_an_event_that_cannot_apply_changes_nothing() -> None:
    state = PayoutsState()
    await handle_ledger_events([posted("o-1")], {("l", 0): 1}, unit_of_work(state))

    with pytest.raises(PayoutsDomainError):
        await handle_ledger_events(
            [delivered("o-1"), delivered("o-never-posted")], {("l", 0): 3}, unit_of_work(state)
        )

    assert state.holds[("shop-1", "o-1")].status == "awaiting_delivery"
    assert state.processed == {"posted-o-1"}
    assert state.positions == {("l", 0): 1}
    assert state.commits == 1


async def test_a_skipped_record_moves_the_position_only() -> None:
    state = PayoutsState()
    await skip_ledger_records({("l", 2): 8}, unit_of_work(state))

    assert await stored_ledger_positions(unit_of_work(state)) == {("l", 2): 8}
    assert state.holds == {} and state.processed == set()


async def test_due_holds_are_released_once_each_with_one_settlement_released_per_hold() -> None:
    state = PayoutsState()
    delivered_long_ago = T0 - timedelta(days=30)
    await handle_ledger_events(
        [posted("o-1"), delivered("o-1", delivered_long_ago), posted("o-2"), delivered("o-2")],
        {("l", 0): 4},
        unit_of_work(state),
    )

    first = await release_due_holds(unit_of_work(state), "payouts.v1", batch_size=10)
    again = await release_due_holds(unit_of_work(state), "payouts.v1", batch_size=10)

    assert [(h.order_id, h.status, h.released_at) for h in first] == [("o-1", "released", T0)]
    assert again == []
    assert state.holds[("shop-1", "o-2")].status == "holding"  # not due yet
    ((topic, record),) = state.outbox
    event = payouts_v1.parse_envelope(from_kafka(record.key, record.value, record.headers))
    assert topic == "payouts.v1"
    assert isinstance(event, payouts_v1.SettlementReleased)
    assert (event.order_id, sum(leg.amount for leg in event.legs)) == ("o-1", 4_299)


async def test_the_kafka_adapter_decodes_a_batch_and_stores_the_positions_past_it() -> None:
    state = PayoutsState()
    records = [
        ConsumedRecord("ledger.v1", 1, offset, r.key, r.value, tuple(r.headers), 0)
        for offset, r in enumerate(
            ledger_v1.to_record(m.event, event_id=m.event_id, time=T0)
            for m in (posted("o-1"), delivered("o-1"))
        )
    ]
    consumer = LedgerBatchConsumer(lambda: unit_of_work(state))

    await consumer.handle(records)
    await consumer.skip(ConsumedRecord("ledger.v1", 1, 2, b"k", b"not json", (), 0))

    assert state.holds[("shop-1", "o-1")].status == "holding"
    assert await consumer.stored_positions() == {("ledger.v1", 1): 3}
