"""A delivery dated before its placement counts as happening at the placement instant, whichever
of the two facts arrives first (see ``services.orders.domain.order``)."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from services.orders.domain.events import OrderEvent
from services.orders.domain.facts import Cancelled, Delivered, Fact, Line, Placed, Refunded
from services.orders.domain.order import OrderState, decide
from services.orders.domain.plans import Plan
from services.orders.service.publishing import published_records
from shared.events import orders_v1
from shared.events.envelope import from_kafka
from shared.events.terms import OrderTerms
from shared.regions import region_terms

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
ORDER = "o-1"
PLANS = (Plan("shop-wide", "shop-1", "shop", 500),)
TERMS = OrderTerms.from_region(region_terms("UK"))
PLACED = Placed(ORDER, T0, "GBP", (Line("A", 2, 1500),), shipping_fee=399, creator_id="X")
EARLY_DELIVERY = Delivered(ORDER, T0 - timedelta(days=2))


def feed(*arrivals: Fact) -> tuple[OrderState, list[orders_v1.OrdersEvent]]:
    """The order after ``arrivals`` (in arrival order) and what it published, in order."""
    state: OrderState | None = None
    published: list[orders_v1.OrdersEvent] = []
    for fact in arrivals:
        decision = decide(state, fact, plans=PLANS)
        published += publish(decision.events, state)
        state = decision.new_state
    assert state is not None
    return state, published


def publish(events: Sequence[OrderEvent], before: OrderState | None) -> list[orders_v1.OrdersEvent]:
    recorded = [(f"e-{n}", event) for n, event in enumerate(events)]
    records = published_records(
        recorded, before, shop_id="shop-1", region="UK", terms=TERMS, recorded_at=T0
    )
    return [orders_v1.parse_envelope(from_kafka(r.key, r.value, r.headers)) for r in records]


def delivered_at(published: list[orders_v1.OrdersEvent]) -> datetime:
    (delivery,) = [e for e in published if isinstance(e, orders_v1.OrderDelivered)]
    return delivery.delivered_at


def test_a_delivery_dated_before_a_placement_that_arrived_first_counts_at_the_placement() -> None:
    state, published = feed(PLACED, EARLY_DELIVERY)

    assert state.status == "delivered"
    assert state.delivered_at == T0
    assert [type(e).__name__ for e in published] == ["OrderPlaced", "OrderDelivered"]
    assert delivered_at(published) == T0


def test_a_delivery_dated_before_a_placement_that_arrives_later_counts_at_the_placement() -> None:
    held, nothing = feed(EARLY_DELIVERY)
    state, published = feed(EARLY_DELIVERY, PLACED)

    assert held.status == "awaiting_placement" and nothing == []
    assert state.status == "delivered"
    assert state.delivered_at == T0
    assert [type(e).__name__ for e in published] == ["OrderPlaced", "OrderDelivered"]
    assert delivered_at(published) == T0


def test_both_arrival_orders_end_in_the_same_state_and_publish_the_same_events() -> None:
    assert feed(PLACED, EARLY_DELIVERY) == feed(EARLY_DELIVERY, PLACED)


def test_the_delivery_keeps_its_stated_time_in_the_order_stream() -> None:
    decision = decide(decide(None, PLACED, plans=PLANS).new_state, EARLY_DELIVERY, plans=PLANS)
    assert decision.events == (EARLY_DELIVERY,)


def test_a_delivery_at_or_after_the_placement_keeps_its_own_time() -> None:
    for delivery in (Delivered(ORDER, T0), Delivered(ORDER, T0 + timedelta(days=3))):
        for arrivals in ((PLACED, delivery), (delivery, PLACED)):
            state, published = feed(*arrivals)
            assert state.delivered_at == delivery.occurred_at
            assert delivered_at(published) == delivery.occurred_at


def test_before_is_judged_by_the_instant_not_the_wall_clock_of_each_offset() -> None:
    # 10:00+08:00 reads later than 09:00Z but is 02:00Z, before the placement.
    skewed = Delivered(ORDER, datetime(2026, 11, 20, 10, 0, tzinfo=timezone(timedelta(hours=8))))
    placed_at_nine = Placed(ORDER, T0 - timedelta(hours=1), "GBP", (Line("A", 1, 100),))
    state, published = feed(skewed, placed_at_nine)
    assert state.delivered_at == T0 - timedelta(hours=1)
    assert delivered_at(published) == T0 - timedelta(hours=1)


def test_facts_held_with_an_early_delivery_still_apply_in_business_order() -> None:
    refund = Refunded(ORDER, T0 - timedelta(days=1), "r-1", 100)
    cancellation = Cancelled(ORDER, T0 - timedelta(hours=1))
    state, published = feed(cancellation, refund, EARLY_DELIVERY, PLACED)

    assert state.status == "delivered"
    assert state.delivered_at == T0
    assert state.refunded_total == 100
    assert [type(e).__name__ for e in published] == [
        "OrderPlaced",
        "OrderDelivered",
        "OrderRefunded",
    ]


@settings(max_examples=150, deadline=None)
@given(
    delivery_minutes=st.integers(-3000, 3000),
    refund_minutes=st.lists(st.integers(-3000, 3000), max_size=3),
    data=st.data(),
)
def test_every_arrival_order_agrees_on_a_delivered_at_never_before_the_placement(
    delivery_minutes: int, refund_minutes: list[int], data: st.DataObject
) -> None:
    delivery = Delivered(ORDER, T0 + timedelta(minutes=delivery_minutes))
    refunds = [
        Refunded(ORDER, T0 + timedelta(minutes=m), f"r-{n}", 10)
        for n, m in enumerate(refund_minutes)
    ]
    facts: list[Fact] = [PLACED, delivery, *refunds]
    expected_at = max(delivery.occurred_at, T0)

    for _ in range(4):
        state, published = feed(*data.draw(st.permutations(facts)))
        assert state.delivered_at == expected_at
        assert delivered_at(published) == expected_at
        assert state.refunded_total == 10 * len(refunds)
