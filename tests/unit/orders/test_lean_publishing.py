"""The orders.v1 records encoded straight from domain types are, byte for byte, what the model
path (orders_v1 models -> to_envelope -> to_kafka) writes, and the consumers' decoder reads them
back as the same events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from services.orders.domain.events import OrderEvent, OrderPlaced, PricedLine
from services.orders.domain.facts import Agency, Cancelled, Delivered, Refunded
from services.orders.domain.order import OrderState, evolve
from services.orders.service.publishing import published_records
from shared.events import orders_v1
from shared.events.envelope import KafkaRecord, from_kafka, to_kafka
from shared.events.terms import OrderTerms
from shared.regions import region_terms

TERMS = OrderTerms.from_region(region_terms("UK"))
ids = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    min_size=1,
    max_size=12,
)
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
instants = st.builds(
    lambda seconds, micros, tz: (
        datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds, microseconds=micros)
    ).astimezone(tz),
    st.integers(0, 10**8),
    st.sampled_from([0, 1, 250_000, 999_999]),
    st.one_of(st.just(UTC), offsets),
)
plans = st.one_of(
    st.just((None, None, 0)),
    st.tuples(ids, st.sampled_from(["shop", "open", "targeted"]), st.integers(100, 8000)),
)


@st.composite
def placements(draw: st.DrawFn) -> OrderPlaced:
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        plan_id, plan_type, rate = draw(plans)
        quantity, price = draw(st.integers(1, 10**6)), draw(st.integers(0, 10**12))
        lines.append(
            PricedLine(
                sku=draw(ids),
                quantity=quantity,
                unit_price=price,
                discount=draw(st.integers(0, price)),
                plan_id=plan_id,
                plan_type=plan_type,  # type: ignore[arg-type]
                rate_bps=rate,
            )
        )
    has_creator = draw(st.booleans()) or any(line.rate_bps for line in lines)
    return OrderPlaced(
        order_id=draw(ids),
        occurred_at=draw(instants),
        currency="GBP",
        lines=tuple(lines),
        shipping_fee=draw(st.integers(0, 10**12)),
        creator_id=draw(ids) if has_creator else None,
        agency=draw(st.one_of(st.none(), st.builds(Agency, ids, st.integers(0, 10_000)))),
    )


def model_path(
    recorded: list[tuple[str, OrderEvent]], shop_id: str, recorded_at: datetime
) -> list[KafkaRecord]:
    """The records as the service built them before: pydantic models, an envelope, to_kafka."""
    records = []
    state: OrderState | None = None
    for event_id, event in recorded:
        state = evolve(state, event)
        published: orders_v1.OrdersEvent
        if isinstance(event, OrderPlaced):
            published = orders_v1.OrderPlaced(
                order_id=event.order_id,
                shop_id=shop_id,
                region="UK",
                currency=event.currency,
                occurred_at=event.occurred_at,
                lines=[
                    orders_v1.OrderLine(
                        line_no=n,
                        sku=li.sku,
                        quantity=li.quantity,
                        unit_price=li.unit_price,
                        discount=li.discount,
                        rate_bps=li.rate_bps,
                        plan_id=li.plan_id,
                        plan_type=li.plan_type,
                    )
                    for n, li in enumerate(event.lines, start=1)
                ],
                shipping_fee=event.shipping_fee,
                creator_id=event.creator_id,
                agency=orders_v1.Agency(
                    agency_id=event.agency.agency_id, share_bps=event.agency.share_bps
                )
                if event.agency
                else None,
                terms=TERMS,
            )
        elif isinstance(event, Delivered):
            assert state.delivered_at is not None
            published = orders_v1.OrderDelivered(
                order_id=event.order_id, shop_id=shop_id, delivered_at=state.delivered_at
            )
        elif isinstance(event, Refunded):
            published = orders_v1.OrderRefunded(
                order_id=event.order_id,
                shop_id=shop_id,
                refund_id=event.refund_id,
                amount=event.amount,
                occurred_at=event.occurred_at,
                refunded_total=state.refunded_total,
            )
        else:
            assert isinstance(event, Cancelled)
            published = orders_v1.OrderCancelled(
                order_id=event.order_id, shop_id=shop_id, occurred_at=event.occurred_at
            )
        envelope = orders_v1.to_envelope(published, event_id=event_id, time=recorded_at)
        records.append(to_kafka(envelope))
    return records


@settings(max_examples=300, deadline=None)
@given(
    placed=placements(),
    shop_id=ids,
    later=st.lists(st.tuples(st.sampled_from(["delivered", "refunded"]), instants), max_size=3),
    cancel_at=st.one_of(st.none(), instants),
    recorded_at=instants,
)
def test_lean_records_are_the_bytes_of_the_model_path(
    placed: OrderPlaced,
    shop_id: str,
    later: list[tuple[str, datetime]],
    cancel_at: datetime | None,
    recorded_at: datetime,
) -> None:
    recorded: list[tuple[str, OrderEvent]] = [("e-0", placed)]
    delivered = False
    for n, (kind, at) in enumerate(later, start=1):
        if kind == "delivered" and not delivered:
            delivered = True
            recorded.append((f"e-{n}", Delivered(placed.order_id, at)))
        elif kind == "refunded" and placed.paid_total >= n:
            recorded.append((f"e-{n}", Refunded(placed.order_id, at, f"r-{n}", 1)))
    if cancel_at is not None and not delivered:
        recorded.append(("e-c", Cancelled(placed.order_id, cancel_at)))

    lean = published_records(
        recorded, None, shop_id=shop_id, region="UK", terms=TERMS, recorded_at=recorded_at
    )

    assert lean == model_path(recorded, shop_id, recorded_at)
    for record in lean:
        orders_v1.parse_envelope(from_kafka(record.key, record.value, record.headers))
