"""An order's stream survives a round trip through its JSON column unchanged."""

from datetime import UTC, datetime, timedelta, timezone

from services.orders.adapters.db.event_codec import StoredEvent
from services.orders.domain.events import FactHeld, HeldFactDropped, OrderEvent, OrderPlaced
from services.orders.domain.facts import Agency, Cancelled, Delivered, Line, Placed, Refunded
from services.orders.domain.plans import Plan

T0 = datetime(2026, 11, 20, 18, 0, tzinfo=timezone(timedelta(hours=8)))
PLACED = Placed(
    order_id="o-1",
    occurred_at=T0,
    currency="GBP",
    lines=(Line("A", 2, 1500), Line("B", 1, 1000, 100)),
    shipping_fee=399,
    creator_id="c-1",
    agency=Agency("a-1", 2000),
)
PLANS = (Plan("p-1", "shop-1", "targeted", 2000, frozenset({"A"}), frozenset({"c-1"})),)


def test_every_kind_of_event_decodes_to_what_was_encoded() -> None:
    refund = Refunded("o-1", T0 + timedelta(hours=1), "r-1", 300)
    events: list[OrderEvent] = [
        FactHeld(Delivered("o-1", T0 + timedelta(days=1))),
        OrderPlaced.stamp(PLACED, PLANS),
        Delivered("o-1", T0 + timedelta(days=1)),
        refund,
        HeldFactDropped(refund, "too much"),
        Cancelled("o-1", T0),
    ]

    for seq, event in enumerate(events, start=1):
        stored = StoredEvent(seq, f"id-{seq}", datetime(2026, 11, 22, tzinfo=UTC), event)
        assert StoredEvent.from_json(stored.to_json()) == stored


def test_a_placement_keeps_its_stamped_terms_and_offsets() -> None:
    placed = OrderPlaced.stamp(PLACED, PLANS)
    stored = StoredEvent(1, "id-1", T0, placed)

    decoded = StoredEvent.from_json(stored.to_json()).event

    assert isinstance(decoded, OrderPlaced)
    assert [(line.plan_id, line.rate_bps) for line in decoded.lines] == [("p-1", 2000), (None, 0)]
    assert decoded.occurred_at.utcoffset() == timedelta(hours=8)
