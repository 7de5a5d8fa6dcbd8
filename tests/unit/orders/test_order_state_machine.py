from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.orders.domain.bounds import MAX_HELD_FACTS
from services.orders.domain.errors import InvalidOrder, TransitionRejected
from services.orders.domain.events import HeldFactDropped, OrderPlaced
from services.orders.domain.facts import (
    Agency,
    Cancelled,
    Delivered,
    Fact,
    Line,
    Placed,
    Refunded,
)
from services.orders.domain.order import Decision, OrderState, decide, evolve
from services.orders.domain.plans import Plan

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ORDER = "o-1"
PLANS = (
    Plan("targeted-x", "shop-1", "targeted", 2000, frozenset({"A"}), frozenset({"X"})),
    Plan("shop-wide", "shop-1", "shop", 500),
)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def placed(**changes: object) -> Placed:
    """DOMAIN.md's worked example: paid_total 4299 (A 2 x 1500, B 1000 - 100, shipping 399)."""
    fact = Placed(
        order_id=ORDER,
        occurred_at=at(0),
        currency="GBP",
        lines=(Line("A", 2, 1500, 0), Line("B", 1, 1000, 100)),
        shipping_fee=399,
        creator_id="X",
        agency=Agency("mcn-1", 2000),
    )
    return replace(fact, **changes)  # type: ignore[arg-type]


def delivered(minutes: int = 10) -> Delivered:
    return Delivered(ORDER, at(minutes))


def refunded(refund_id: str, amount: int, minutes: int = 5) -> Refunded:
    return Refunded(ORDER, at(minutes), refund_id, amount)


def cancelled(minutes: int = 20) -> Cancelled:
    return Cancelled(ORDER, at(minutes))


def run(*facts: Fact, state: OrderState | None = None) -> OrderState:
    for fact in facts:
        state = decide(state, fact, plans=PLANS).new_state
    assert state is not None
    return state


def rejected(state: OrderState | None, fact: Fact) -> str:
    before = state
    with pytest.raises(TransitionRejected) as caught:
        decide(state, fact, plans=PLANS)
    assert state == before
    return caught.value.reason


def fold(decisions: Sequence[Decision]) -> OrderState | None:
    state = None
    for decision in decisions:
        for event in decision.events:
            state = evolve(state, event)
    return state


def test_a_placement_records_the_order_with_its_paid_total_and_stamped_terms() -> None:
    decision = decide(None, placed(), plans=PLANS)
    state = decision.new_state
    assert state.status == "placed"
    assert state.paid_total == 4299
    assert state.refunded_total == 0
    assert state.creator_id == "X"
    assert state.agency == Agency("mcn-1", 2000)
    assert [(line.sku, line.base, line.plan_id, line.rate_bps) for line in state.lines] == [
        ("A", 3000, "targeted-x", 2000),
        ("B", 900, "shop-wide", 500),
    ]
    (event,) = decision.accepted_events
    assert isinstance(event, OrderPlaced)
    assert event.lines == state.lines


def test_a_placement_uses_the_plans_active_when_the_order_occurred() -> None:
    future = Plan("later", "shop-1", "shop", 7000, starts_at=at(1))
    state = decide(None, placed(), plans=(future,)).new_state
    assert [line.rate_bps for line in state.lines] == [0, 0]
    assert state.lines[0].plan_id is None


def test_an_order_without_a_creator_has_no_commission_on_any_line() -> None:
    state = run(placed(creator_id=None, agency=None))
    assert {line.rate_bps for line in state.lines} == {0}


@pytest.mark.parametrize(
    ("fact", "reason"),
    [
        (placed(lines=()), "at least one line"),
        (placed(lines=(Line("A", 0, 100),)), "quantity must be at least 1"),
        (placed(lines=(Line("A", 1, -1),)), "unit_price must be at least 0"),
        (placed(lines=(Line("A", 1, 100, -1),)), "discount must be at least 0"),
        (placed(lines=(Line("A", 2, 100, 201),)), "discount 201 exceeds 2 x 100"),
        (placed(lines=(Line("A", 1, 10.5),)), "unit_price must be an integer"),  # type: ignore[arg-type]
        (placed(lines=(Line("", 1, 100),)), "sku must be a non-empty string"),
        (placed(shipping_fee=-1), "shipping_fee must be at least 0"),
        (placed(shipping_fee=True), "shipping_fee must be an integer"),
        (placed(agency=Agency("mcn", 10_001)), "share_bps must be at most 10000"),
        (placed(agency=Agency("mcn", -1)), "share_bps must be at least 0"),
        (placed(currency="gbp"), "not a settled ISO 4217 code"),
        (placed(creator_id=""), "creator_id must be a non-empty string"),
        (placed(occurred_at=datetime(2025, 3, 1)), "timezone-aware"),
        (refunded("r1", 0), "amount must be at least 1"),
        (refunded("", 10), "refund_id must be a non-empty string"),
        (Delivered("", at(1)), "order_id must be a non-empty string"),
    ],
)
def test_an_invalid_payload_is_rejected_before_any_state_is_consulted(
    fact: Fact, reason: str
) -> None:
    with pytest.raises(InvalidOrder, match=reason):
        decide(None, fact, plans=PLANS)


def test_a_line_may_be_free_and_an_agency_may_take_all_or_nothing() -> None:
    free = placed(lines=(Line("A", 1, 100, 100),), shipping_fee=0, agency=Agency("mcn", 10_000))
    assert run(free).paid_total == 0
    assert run(placed(agency=Agency("mcn", 0))).status == "placed"


def test_a_second_placement_is_rejected_even_when_identical() -> None:
    state = run(placed())
    assert "already placed" in rejected(state, placed())


def test_a_placed_order_can_be_delivered_once() -> None:
    state = run(placed(), delivered(10))
    assert state.status == "delivered"
    assert state.delivered_at == at(10)
    assert "already delivered" in rejected(state, delivered(11))
    assert "already delivered" in rejected(state, delivered(10))


def test_refunds_accumulate_before_and_after_delivery_up_to_the_paid_total() -> None:
    state = run(placed(), refunded("r1", 1000, 5), delivered(10), refunded("r2", 3299, 15))
    assert state.refunded_total == 4299
    assert state.fully_refunded
    assert state.refund_ids == frozenset({"r1", "r2"})
    assert state.status == "delivered"


def test_a_refund_above_what_is_left_of_the_paid_total_is_rejected() -> None:
    state = run(placed(), refunded("r1", 4000))
    reason = rejected(state, refunded("r2", 300))
    assert reason == (
        "refund r2 of 300 would take order o-1 above its paid total 4299 (already refunded 4000)"
    )
    assert run(refunded("r2", 299), state=state).refunded_total == 4299


def test_a_refund_id_is_taken_once_even_with_the_same_amount() -> None:
    state = run(placed(), refunded("r1", 100))
    assert "already has refund r1" in rejected(state, refunded("r1", 100))
    assert "already has refund r1" in rejected(state, refunded("r1", 50, minutes=7))


def test_an_undelivered_order_can_be_cancelled_and_then_takes_no_delivery() -> None:
    state = run(placed(), cancelled(20))
    assert state.status == "cancelled"
    assert state.cancelled_at == at(20)
    assert "cannot be delivered" in rejected(state, delivered(30))
    assert "cannot be delivered" in rejected(state, delivered(10))
    assert "already cancelled" in rejected(state, cancelled(25))


def test_a_delivered_order_cannot_be_cancelled() -> None:
    state = run(placed(), delivered(10))
    assert "only an undelivered one cancels" in rejected(state, cancelled(5))
    assert "only an undelivered one cancels" in rejected(state, cancelled(20))


def test_a_cancelled_order_takes_no_refund_that_occurred_after_the_cancellation() -> None:
    state = run(placed(), cancelled(20))
    assert "cancelled before refund r1 occurred" in rejected(state, refunded("r1", 10, 21))


def test_a_refund_that_occurred_before_the_cancellation_but_arrived_after_it_is_taken() -> None:
    state = run(placed(), cancelled(20), refunded("r1", 10, 20), refunded("r2", 10, 19))
    assert state.status == "cancelled"
    assert state.refunded_total == 20


def test_a_cancellation_after_a_full_refund_is_accepted() -> None:
    state = run(placed(), refunded("r1", 4299), cancelled(20))
    assert state.status == "cancelled"
    assert state.fully_refunded


def test_a_cancellation_before_an_accepted_refund_is_rejected() -> None:
    state = run(placed(), refunded("r1", 10, 30))
    assert "refunds that occurred after this cancellation: r1" in rejected(state, cancelled(20))


def test_a_fully_refunded_order_can_still_be_delivered() -> None:
    assert run(placed(), refunded("r1", 4299), delivered(10)).status == "delivered"


def test_facts_before_the_placement_are_held_and_publish_nothing() -> None:
    decision = decide(None, delivered(10), plans=PLANS)
    assert decision.held
    assert decision.accepted_events == ()
    assert decision.new_state.status == "awaiting_placement"
    assert decision.new_state.pending == (delivered(10),)
    assert decision.new_state.paid_total == 0


def test_the_placement_applies_held_facts_in_business_order() -> None:
    state = run(cancelled(20), refunded("r2", 50, 5), refunded("r1", 40, 5))
    assert state.pending == (refunded("r1", 40, 5), refunded("r2", 50, 5), cancelled(20))
    decision = decide(state, placed(), plans=PLANS)
    assert [type(e).__name__ for e in decision.accepted_events] == [
        "OrderPlaced",
        "Refunded",
        "Refunded",
        "Cancelled",
    ]
    assert decision.accepted_events[1:] == state.pending
    assert decision.new_state.pending == ()
    assert decision.new_state.status == "cancelled"
    assert decision.new_state.refunded_total == 90


def test_at_equal_times_a_delivery_goes_before_a_refund_before_a_cancellation() -> None:
    decision = decide(run(cancelled(5), refunded("r1", 1, 5)), placed(), plans=PLANS)
    assert decision.new_state.status == "cancelled"
    assert decision.dropped == ()
    decision = decide(run(cancelled(5), delivered(5)), placed(), plans=PLANS)
    assert decision.new_state.status == "delivered"
    assert [d.fact for d in decision.dropped] == [cancelled(5)]


def test_a_held_fact_the_placement_makes_impossible_is_dropped_with_its_reason() -> None:
    state = run(refunded("r1", 4000, 5), refunded("r2", 500, 6), refunded("r3", 299, 7))
    decision = decide(state, placed(), plans=PLANS)
    assert decision.dropped == (
        HeldFactDropped(
            refunded("r2", 500, 6),
            "refund r2 of 500 would take order o-1 above its paid total 4299 "
            "(already refunded 4000)",
        ),
    )
    assert decision.new_state.refund_ids == frozenset({"r1", "r3"})
    assert decision.new_state.refunded_total == 4299


def test_a_second_held_copy_of_the_same_fact_is_rejected() -> None:
    state = run(delivered(10), refunded("r1", 10), cancelled(20))
    assert "already holds a delivery" in rejected(state, delivered(11))
    assert "already holds refund r1" in rejected(state, refunded("r1", 10))
    assert "already holds a cancellation" in rejected(state, cancelled(20))
    assert len(run(refunded("r2", 10), state=state).pending) == 4


def test_an_unplaced_order_holds_at_most_max_held_facts() -> None:
    state = run(delivered(), *(refunded(f"r{n}", 1) for n in range(MAX_HELD_FACTS - 1)))
    assert len(state.pending) == MAX_HELD_FACTS
    reason = rejected(state, cancelled())
    assert f"already holds {MAX_HELD_FACTS} facts" in reason
    assert "already holds" in rejected(state, refunded("one-more", 1))
    placed_state = run(placed(), state=state)  # the placement takes them all
    assert placed_state.pending == ()
    assert placed_state.refunded_total == MAX_HELD_FACTS - 1


def test_a_rejected_fact_changes_nothing_for_the_facts_that_follow() -> None:
    state = run(placed(), refunded("r1", 4000))
    rejected(state, refunded("r2", 1000))
    rejected(state, cancelled(-1))
    assert run(refunded("r2", 299), delivered(), state=state) == run(
        placed(), refunded("r1", 4000), refunded("r2", 299), delivered()
    )


def test_folding_the_recorded_events_rebuilds_the_decided_state() -> None:
    decisions = []
    state = None
    for fact in (refunded("r1", 10), delivered(10), placed(), refunded("r2", 20, 30)):
        decision = decide(state, fact, plans=PLANS)
        decisions.append(decision)
        state = decision.new_state
    assert fold(decisions) == state


def test_a_fact_stamped_before_the_placement_is_still_taken_after_it() -> None:
    early_refund = refunded("r1", 10, minutes=-3)
    assert run(placed(), early_refund).refunded_total == 10
    assert run(early_refund, placed()).refunded_total == 10


def test_a_fact_for_another_order_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="given the state of o-1"):
        decide(run(placed()), Delivered("o-2", at(1)), plans=PLANS)
