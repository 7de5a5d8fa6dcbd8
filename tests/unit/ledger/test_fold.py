"""The pure fold: events in, balanced entries and publications out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.ledger.domain.accounts import AccountKey, clearing
from services.ledger.domain.errors import PayoutTransitionError, UnknownOrderError
from services.ledger.domain.fold import fold
from services.ledger.domain.journal import balances
from services.ledger.domain.legs import party_amounts, published_legs
from services.ledger.domain.outputs import Incoming
from services.ledger.domain.reversal import remaining_legs
from services.ledger.domain.split import Legs
from services.ledger.domain.state import LedgerState, OrderState
from shared.events.orders_v1 import OrderCancelled, OrderRefunded, OrdersEvent
from shared.events.payouts_v1 import PayoutCreated, PayoutPaid, PayoutsEvent, SettlementReleased
from tests.support.ledger_events import T0, placed

ORDER = placed("o-1")  # DOMAIN.md worked example: paid_total 4299
counter = iter(range(10**9))


def incoming(event: OrdersEvent | PayoutsEvent) -> Incoming:
    return Incoming(f"e-{next(counter)}", event)


def refund(amount: int, total: int) -> OrderRefunded:
    return OrderRefunded(
        order_id="o-1",
        shop_id="shop-1",
        refund_id=f"r-{total}",
        amount=amount,
        occurred_at=T0 + timedelta(hours=1),
        refunded_total=total,
    )


RELEASE = SettlementReleased.model_validate(
    {
        "order_id": "o-1",
        "shop_id": "shop-1",
        "currency": "GBP",
        "released_at": T0 + timedelta(days=20),
        "legs": [{"party_type": "merchant", "party_id": "shop-1", "amount": 9999}],
    }
)
CANCEL = OrderCancelled(order_id="o-1", shop_id="shop-1", occurred_at=T0)


def party(party_type: str, party_id: str, sub: str) -> AccountKey:
    return AccountKey(party_type, party_id, "GBP", sub)  # type: ignore[arg-type]


def test_placement_posts_the_worked_example_as_pending_against_clearing() -> None:
    output = fold(LedgerState(), [incoming(ORDER)])
    (entry,) = output.entries
    assert balances(output.entries) == {
        party("merchant", "shop-1", "pending"): 3303,
        party("creator", "creator-x", "pending"): 516,
        party("agency", "mcn-1", "pending"): 129,
        party("platform", "UK", "pending"): 351,
        clearing("GBP"): -4299,
    }
    assert entry.kind == "order_placed" and entry.rule_version == "split-2026-11.v2"
    (posted,) = output.publications
    assert posted.event.TYPE == "ledger.order_posted"


@st.composite
def lifecycles(draw: st.DrawFn) -> list[OrdersEvent | PayoutsEvent]:
    """Refunds, at most one cancellation (never after release) and releases, in any order."""
    events: list[OrdersEvent | PayoutsEvent] = [ORDER]
    refunded, released, cancelled = 0, False, False
    for kind in draw(st.lists(st.sampled_from(["refund", "release", "cancel"]), max_size=8)):
        if kind == "refund" and refunded < ORDER.paid_total:
            amount = draw(st.integers(1, ORDER.paid_total - refunded))
            refunded += amount
            events.append(refund(amount, refunded))
        elif kind == "release":
            released = True
            events.append(RELEASE)
        elif kind == "cancel" and not released and not cancelled:
            cancelled = True
            events.append(CANCEL)
    return events


@settings(max_examples=200, deadline=None)
@given(lifecycles())
def test_every_lifecycle_conserves_money_and_releases_at_most_once(
    events: list[OrdersEvent | PayoutsEvent],
) -> None:
    state = LedgerState()
    output = fold(state, [incoming(event) for event in events])
    order = state.orders[("shop-1", "o-1")]
    totals = balances(output.entries)
    assert sum(totals.values()) == 0
    remaining = party_amounts(order, remaining_legs(order.split, order.reversed_total))
    for (party_type, party_id), amount in remaining.items():
        pending = totals.get(party(party_type, party_id, "pending"), 0)
        available = totals.get(party(party_type, party_id, "available"), 0)
        assert pending + available == amount
        if order.released:
            assert pending == 0
    assert totals[clearing("GBP")] == -(ORDER.paid_total - order.reversed_total)
    assert [e.kind for e in output.entries].count("order_released") <= 1


@settings(max_examples=50, deadline=None)
@given(lifecycles(), st.integers(1, 5))
def test_folding_in_batches_gives_the_same_entries_as_folding_at_once(
    events: list[OrdersEvent | PayoutsEvent], batch: int
) -> None:
    stream = [incoming(event) for event in events]
    at_once = fold(LedgerState(), stream)
    state = LedgerState()
    batched = [
        entry
        for start in range(0, len(stream), batch)
        for entry in fold(state, stream[start : start + batch]).entries
    ]
    assert batched == at_once.entries


def test_a_release_moves_only_what_a_refund_left_pending() -> None:
    state = LedgerState()
    output = fold(state, [incoming(ORDER), incoming(refund(4299, 4299)), incoming(RELEASE)])
    assert [e.kind for e in output.entries] == ["order_placed", "order_refund"]
    assert state.orders[("shop-1", "o-1")].released


def test_an_event_for_an_unplaced_order_is_refused() -> None:
    with pytest.raises(UnknownOrderError):
        fold(LedgerState(), [incoming(RELEASE)])


def test_a_payout_must_be_created_before_it_is_paid_and_repeats_change_nothing() -> None:
    fields = {
        "payout_id": "p-1",
        "run_id": "run-1",
        "party_type": "creator",
        "party_id": "creator-x",
        "currency": "GBP",
        "amount": 500,
    }
    paid = PayoutPaid.model_validate({**fields, "paid_at": T0})
    created = PayoutCreated.model_validate({**fields, "created_at": T0})
    with pytest.raises(PayoutTransitionError):
        fold(LedgerState(), [incoming(paid)])
    output = fold(LedgerState(), [incoming(created), incoming(created), incoming(paid)])
    assert [e.kind for e in output.entries] == ["payout_created"]
    assert [p.event.TYPE for p in output.publications] == ["ledger.payout_posted"] * 2


def test_published_legs_are_each_partys_exact_sum_and_never_a_fixed_up_copy() -> None:
    order = OrderState.from_placed(ORDER)
    legs = Legs(
        merchant_net=5, creator_net=1, agency_share=0, platform_fee=2, platform_cut=3, tax=0
    )
    published = {(leg.party_type, leg.party_id): leg.amount for leg in published_legs(order, legs)}
    assert published == {
        ("merchant", "shop-1"): 5,
        ("creator", "creator-x"): 1,
        ("platform", "UK"): 5,
    }
    negative = Legs(
        merchant_net=5, creator_net=-1, agency_share=0, platform_fee=2, platform_cut=0, tax=0
    )
    with pytest.raises(ValueError, match="negative"):
        published_legs(order, negative)
