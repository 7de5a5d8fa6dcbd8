"""The pure parts of the webhook edge: signature checking, body parsing, published events."""

from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from services.orders.api.signature import verify_signature
from services.orders.api.webhook_schemas import to_fact, webhook_adapter
from services.orders.domain.events import OrderPlaced
from services.orders.domain.facts import Line, Placed, Refunded
from services.orders.domain.order import decide
from services.orders.domain.plans import Plan
from services.orders.service.publishing import published_records
from shared.events import orders_v1
from shared.events.envelope import from_kafka
from shared.events.terms import OrderTerms
from shared.http.problems import ProblemError
from shared.regions import region_terms

OLD = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="
NEW = "whsec_" + "MDEyMzQ1Njc4OTAxMjM0NTY3ODk="
BODY = b'{"type":"order.delivered","occurred_at":"2026-11-20T10:00:00Z","data":{"order_id":"o"}}'
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def headers(secret: str, body: bytes = BODY, at: datetime | None = None) -> dict[str, str]:
    timestamp = at or datetime.now(UTC)
    return {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Webhook(secret).sign("msg_1", timestamp, body.decode()),
    }


def test_a_webhook_signed_with_either_live_secret_is_authentic() -> None:
    verify_signature((NEW, OLD), BODY, headers(OLD))
    verify_signature((NEW, OLD), BODY, headers(NEW))


@pytest.mark.parametrize(
    "changes",
    [
        {"webhook-signature": "v1"},
        {"webhook-signature": "v1,%%%"},
        {"webhook-signature": ""},
        {"webhook-timestamp": "NaN"},
        {"webhook-timestamp": "-1e999"},
        {"webhook-id": ""},
    ],
)
def test_a_malformed_header_is_a_401_problem_not_a_crash(changes: dict[str, str]) -> None:
    with pytest.raises(ProblemError) as raised:
        verify_signature((NEW,), BODY, {**headers(NEW), **changes})
    assert raised.value.status == 401


def test_a_timestamp_over_five_minutes_off_either_way_is_refused() -> None:
    now = datetime.now(UTC)
    verify_signature((NEW,), BODY, headers(NEW, at=now - timedelta(minutes=4)))
    for skew in (timedelta(minutes=-6), timedelta(minutes=6)):
        with pytest.raises(ProblemError):
            verify_signature((NEW,), BODY, headers(NEW, at=now + skew))


def test_a_webhook_signed_with_a_retired_secret_is_refused() -> None:
    with pytest.raises(ProblemError):
        verify_signature((NEW,), BODY, headers(OLD))


def test_a_placement_body_becomes_the_domain_fact() -> None:
    body = (
        b'{"type":"order.placed","occurred_at":"2026-11-20T18:00:00+08:00","data":'
        b'{"order_id":"o","currency":"GBP","lines":[{"sku":"A","quantity":2,"unit_price":1500}],'
        b'"shipping_fee":399,"creator_id":"c","agency":{"agency_id":"a","share_bps":2000},'
        b'"unknown_field":true}}'
    )

    fact = to_fact(webhook_adapter.validate_json(body))

    assert isinstance(fact, Placed)
    assert fact.lines == (Line("A", 2, 1500, 0),)
    assert fact.occurred_at == T0
    assert fact.agency is not None and fact.agency.share_bps == 2000


def test_published_refunds_carry_the_cumulative_refunded_total() -> None:
    placed = Placed("o", T0, "GBP", (Line("A", 2, 1500),), 399, "c")
    plans = (Plan("p", "shop-1", "shop", 500),)
    placement = decide(None, placed, plans=plans)
    first = decide(placement.new_state, Refunded("o", T0, "r-1", 100), plans=())
    terms = OrderTerms.from_region(region_terms("UK"))

    records = published_records(
        [("e-1", placement.events[0]), ("e-2", first.events[0])],
        None,
        shop_id="shop-1",
        region="UK",
        terms=terms,
        recorded_at=T0,
    )
    second = published_records(
        [("e-3", Refunded("o", T0, "r-2", 200))],
        first.new_state,
        shop_id="shop-1",
        region="UK",
        terms=None,
        recorded_at=T0,
    )

    events = [orders_v1.parse_envelope(from_kafka(r.key, r.value, r.headers)) for r in records]
    (later,) = [orders_v1.parse_envelope(from_kafka(r.key, r.value, r.headers)) for r in second]
    assert isinstance(placement.events[0], OrderPlaced)
    assert isinstance(events[0], orders_v1.OrderPlaced)
    assert events[0].lines[0].plan_id == "p" and events[0].lines[0].line_no == 1
    assert isinstance(events[1], orders_v1.OrderRefunded) and events[1].refunded_total == 100
    assert isinstance(later, orders_v1.OrderRefunded) and later.refunded_total == 300
    assert [r.key for r in records] == [b"o", b"o"]
