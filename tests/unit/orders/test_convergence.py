"""Every arrival order of an order's facts converges (see ``services.orders.domain.order``)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import permutations

from hypothesis import given, settings
from hypothesis import strategies as st

from services.orders.domain.errors import TransitionRejected
from services.orders.domain.events import AcceptedEvent, OrderEvent, OrderPlaced, business_key
from services.orders.domain.facts import Cancelled, Delivered, Fact, Line, Placed, Refunded
from services.orders.domain.order import OrderState, decide
from services.orders.domain.plans import Plan

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ORDER = "o-1"
PLANS = (Plan("shop-wide", "shop-1", "shop", 500),)
FAST = settings(max_examples=150, deadline=None)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@dataclass(frozen=True)
class Run:
    state: OrderState
    accepted: tuple[AcceptedEvent, ...]
    placement_events: tuple[OrderEvent, ...]


def feed(arrivals: Sequence[Fact]) -> Run:
    """Feed facts in arrival order; only a repeat of an already fed fact may be rejected."""
    state: OrderState | None = None
    accepted: list[AcceptedEvent] = []
    placement_events: tuple[OrderEvent, ...] = ()
    for index, fact in enumerate(arrivals):
        try:
            decision = decide(state, fact, plans=PLANS)
        except TransitionRejected as rejected:
            assert fact in arrivals[:index], f"{fact} rejected: {rejected.reason}"
            continue
        assert list(decision.accepted_events) == sorted(decision.accepted_events, key=business_key)
        if isinstance(fact, Placed):
            placement_events = decision.events
        accepted.extend(decision.accepted_events)
        state = decision.new_state
    assert state is not None
    return Run(state, tuple(accepted), placement_events)


@st.composite
def placements(draw: st.DrawFn) -> Placed:
    lines = []
    for sku in draw(st.lists(st.sampled_from("ABC"), min_size=1, max_size=3)):
        quantity = draw(st.integers(1, 3))
        unit_price = draw(st.integers(0, 2000))
        discount = draw(st.integers(0, quantity * unit_price))
        lines.append(Line(sku, quantity, unit_price, discount))
    return Placed(
        order_id=ORDER,
        occurred_at=at(0),
        currency="GBP",
        lines=tuple(lines),
        shipping_fee=draw(st.integers(0, 500)),
        creator_id=draw(st.sampled_from([None, "X"])),
    )


@st.composite
def consistent_histories(draw: st.DrawFn) -> tuple[Placed, list[Fact]]:
    """A placement and later facts that business order accepts whole (ties in time included)."""
    placed = draw(placements())
    outcome = draw(st.sampled_from(["open", "delivered", "cancelled"]))
    cancel_at = draw(st.integers(0, 20))
    later: list[Fact] = []
    if outcome == "delivered":
        later.append(Delivered(ORDER, at(draw(st.integers(0, 20)))))
    if outcome == "cancelled":
        later.append(Cancelled(ORDER, at(cancel_at)))
    left = placed.paid_total
    latest = cancel_at if outcome == "cancelled" else 20
    for number in range(draw(st.integers(0, 4))):
        if left == 0:
            break
        amount = draw(st.integers(1, left))
        left -= amount
        later.append(Refunded(ORDER, at(draw(st.integers(0, latest))), f"r{number}", amount))
    return placed, later


def arrivals_with_repeats(facts: list[Fact]) -> st.SearchStrategy[list[Fact]]:
    """``facts`` plus up to four repeats of them, shuffled."""
    repeats = st.lists(st.sampled_from(facts), max_size=4) if facts else st.just([])
    return repeats.flatmap(lambda extra: st.permutations(facts + extra))


@FAST
@given(history=consistent_histories(), data=st.data())
def test_every_arrival_order_with_repeats_ends_in_the_same_state_and_events(
    history: tuple[Placed, list[Fact]], data: st.DataObject
) -> None:
    placed, later = history
    in_business_order = feed([placed, *sorted(later, key=business_key)])
    assert len(in_business_order.accepted) == 1 + len(later)
    for _ in range(4):
        arrivals = data.draw(arrivals_with_repeats([placed, *later]))
        run = feed(arrivals)
        assert run.state == in_business_order.state
        assert sorted(run.accepted, key=business_key) == list(in_business_order.accepted)


@FAST
@given(history=consistent_histories(), data=st.data())
def test_facts_held_until_the_placement_publish_the_same_sequence_in_any_arrival_order(
    history: tuple[Placed, list[Fact]], data: st.DataObject
) -> None:
    placed, later = history
    expected = feed([*sorted(later, key=business_key), placed])
    assert expected.accepted == tuple(sorted(expected.accepted, key=business_key))
    for _ in range(4):
        early = data.draw(arrivals_with_repeats(later))
        run = feed([*early, placed])
        assert run.accepted == expected.accepted
        assert run.state == expected.state


@st.composite
def arbitrary_later_facts(draw: st.DrawFn) -> list[Fact]:
    """Facts that may contradict each other: a delivery and a cancellation, refunds above the
    paid total, refunds after the cancellation."""
    minutes = st.integers(0, 6)
    facts: list[Fact] = []
    if draw(st.booleans()):
        facts.append(Delivered(ORDER, at(draw(minutes))))
    if draw(st.booleans()):
        facts.append(Cancelled(ORDER, at(draw(minutes))))
    for number in range(draw(st.integers(0, 4))):
        amount = draw(st.integers(1, 3000))
        facts.append(Refunded(ORDER, at(draw(minutes)), f"r{number}", amount))
    return facts


@FAST
@given(placed=placements(), later=arbitrary_later_facts(), data=st.data())
def test_contradictory_facts_held_until_the_placement_are_resolved_the_same_way_in_any_order(
    placed: Placed, later: list[Fact], data: st.DataObject
) -> None:
    expected = feed([*later, placed])
    for _ in range(4):
        run = feed([*data.draw(st.permutations(later)), placed])
        assert run.placement_events == expected.placement_events
        assert run.state == expected.state


def test_all_720_arrival_orders_of_a_delivered_and_refunded_order_converge() -> None:
    placed = Placed(ORDER, at(0), "GBP", (Line("A", 2, 1500, 0),), shipping_fee=399)
    refund_1 = Refunded(ORDER, at(3), "r1", 1000)
    refund_2 = Refunded(ORDER, at(9), "r2", 2399)
    facts: list[Fact] = [placed, refund_1, Delivered(ORDER, at(5)), refund_2, refund_1, placed]
    results = {feed(arrivals) for arrivals in permutations(facts)}
    states = {result.state for result in results}
    assert len(states) == 1
    (state,) = states
    assert state.status == "delivered"
    assert state.refunded_total == state.paid_total == 3399
    assert {tuple(sorted(r.accepted, key=business_key)) for r in results} == {
        (OrderPlaced.stamp(placed, PLANS), refund_1, Delivered(ORDER, at(5)), refund_2)
    }


def test_all_arrival_orders_of_a_refunded_then_cancelled_order_converge() -> None:
    placed = Placed(ORDER, at(0), "GBP", (Line("A", 1, 800, 0),))
    facts: list[Fact] = [
        placed,
        Refunded(ORDER, at(2), "r1", 300),
        Refunded(ORDER, at(4), "r2", 200),
        Cancelled(ORDER, at(4)),
        Cancelled(ORDER, at(4)),
    ]
    states = {feed(arrivals).state for arrivals in permutations(facts)}
    assert len(states) == 1
    (state,) = states
    assert state.status == "cancelled"
    assert state.refunded_total == 500
