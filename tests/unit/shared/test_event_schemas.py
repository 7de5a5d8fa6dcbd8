import copy
from collections.abc import Mapping
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.events import ledger_v1, orders_v1, payouts_v1
from shared.events.common import (
    UnknownEventTypeError,
    UnsupportedSchemaVersionError,
    payee_key,
)
from shared.events.envelope import MalformedEventError, from_kafka, new_envelope, to_kafka
from shared.events.terms import OrderTerms
from shared.regions import DEFAULT_REGIONS

TOPICS = (orders_v1, ledger_v1, payouts_v1)
RECORDED_AT = datetime(2024, 5, 2, 8, 0, tzinfo=UTC)
EVENT_ID = "0b7e4c1e-1f1e-4a43-9a0a-3d2f8f6a9c10"

UK_RELEASE_TERMS = {"after_sales_window_days": 14, "release_rule": "next_day", "min_payout": 1000}
UK_TERMS = {
    **UK_RELEASE_TERMS,
    "platform_fee_bps": 900,
    "platform_cut_bps": 0,
    "creator_tax_bps": 0,
}
WORKED_EXAMPLE_LEGS = [
    {"party_type": "merchant", "party_id": "shop-1", "amount": 3303},
    {"party_type": "creator", "party_id": "creator-x", "amount": 516},
    {"party_type": "agency", "party_id": "mcn-7", "amount": 129},
    {"party_type": "platform", "party_id": "platform-UK", "amount": 351},
    {"party_type": "tax", "party_id": "tax-UK", "amount": 0},
]
PAYOUT = {
    "payout_id": "payout-1",
    "run_id": "run-2024-05-20",
    "party_type": "creator",
    "party_id": "creator-x",
    "currency": "GBP",
    "amount": 1516,
}

EXAMPLES: dict[str, dict[str, dict[str, Any]]] = {
    orders_v1.TOPIC: {
        "order.placed": {
            "order_id": "order-1",
            "shop_id": "shop-1",
            "region": "UK",
            "currency": "GBP",
            "occurred_at": "2024-05-01T10:00:00Z",
            "lines": [
                {
                    "line_no": 1,
                    "sku": "A",
                    "quantity": 2,
                    "unit_price": 1500,
                    "discount": 0,
                    "rate_bps": 2000,
                    "plan_id": "plan-targeted-x",
                    "plan_type": "targeted",
                },
                {
                    "line_no": 2,
                    "sku": "B",
                    "quantity": 1,
                    "unit_price": 1000,
                    "discount": 100,
                    "rate_bps": 500,
                    "plan_id": "plan-shop",
                    "plan_type": "shop",
                },
            ],
            "shipping_fee": 399,
            "creator_id": "creator-x",
            "agency": {"agency_id": "mcn-7", "share_bps": 2000},
            "terms": UK_TERMS,
        },
        "order.delivered": {
            "order_id": "order-1",
            "shop_id": "shop-1",
            "delivered_at": "2024-05-03T09:00:00+01:00",
        },
        "order.refunded": {
            "order_id": "order-1",
            "shop_id": "shop-1",
            "refund_id": "refund-1",
            "amount": 1500,
            "occurred_at": "2024-05-04T09:00:00Z",
            "refunded_total": 1500,
        },
        "order.cancelled": {
            "order_id": "order-1",
            "shop_id": "shop-1",
            "occurred_at": "2024-05-01T11:00:00Z",
        },
    },
    ledger_v1.TOPIC: {
        "ledger.order_posted": {
            "order_id": "order-1",
            "shop_id": "shop-1",
            "region": "UK",
            "currency": "GBP",
            "occurred_at": "2024-05-01T10:00:00Z",
            "paid_total": 4299,
            "legs": WORKED_EXAMPLE_LEGS,
            "release_terms": UK_RELEASE_TERMS,
        },
        "ledger.order_delivered": {
            "order_id": "order-1",
            "shop_id": "shop-1",
            "currency": "GBP",
            "delivered_at": "2024-05-03T08:00:00Z",
        },
        "ledger.order_reversed": {
            "order_id": "order-1",
            "shop_id": "shop-1",
            "currency": "GBP",
            "reason": "refund",
            "refund_id": "refund-1",
            "phase": "pending",
            "occurred_at": "2024-05-04T09:00:00Z",
            "amount": 1500,
            "legs": [
                {"party_type": "merchant", "party_id": "shop-1", "amount": 1153},
                {"party_type": "creator", "party_id": "creator-x", "amount": 180},
                {"party_type": "agency", "party_id": "mcn-7", "amount": 45},
                {"party_type": "platform", "party_id": "platform-UK", "amount": 122},
            ],
        },
        "ledger.order_released": {
            "order_id": "order-1",
            "shop_id": "shop-1",
            "currency": "GBP",
            "released_at": "2024-05-18T08:00:00Z",
            "legs": WORKED_EXAMPLE_LEGS,
        },
        "ledger.payout_posted": {
            "payout_id": "payout-1",
            "party_type": "creator",
            "party_id": "creator-x",
            "currency": "GBP",
            "amount": 1516,
            "status": "created",
            "occurred_at": "2024-05-20T02:00:00Z",
        },
    },
    payouts_v1.TOPIC: {
        "settlement.released": {
            "order_id": "order-1",
            "shop_id": "shop-1",
            "currency": "GBP",
            "released_at": "2024-05-18T08:00:00Z",
            "legs": WORKED_EXAMPLE_LEGS,
        },
        "payout.created": {**PAYOUT, "created_at": "2024-05-20T02:00:00Z"},
        "payout.paid": {**PAYOUT, "paid_at": "2024-05-21T02:00:00Z"},
        "payout.failed": {
            **PAYOUT,
            "reason": "bank account closed",
            "failed_at": "2024-05-21T02:00:00Z",
        },
    },
}
ALL_TYPES = [(topic, type_name) for topic in TOPICS for type_name in topic.EVENT_TYPES]
AMOUNT_FIELDS = [
    (orders_v1, "order.placed", ("shipping_fee",)),
    (orders_v1, "order.placed", ("lines", 0, "unit_price")),
    (orders_v1, "order.placed", ("lines", 1, "discount")),
    (orders_v1, "order.placed", ("terms", "min_payout")),
    (orders_v1, "order.refunded", ("amount",)),
    (orders_v1, "order.refunded", ("refunded_total",)),
    (ledger_v1, "ledger.order_posted", ("paid_total",)),
    (ledger_v1, "ledger.order_posted", ("legs", 0, "amount")),
    (ledger_v1, "ledger.order_reversed", ("amount",)),
    (ledger_v1, "ledger.payout_posted", ("amount",)),
    (payouts_v1, "settlement.released", ("legs", 1, "amount")),
    (payouts_v1, "payout.created", ("amount",)),
]
RATE_FIELDS = [
    ("lines", 0, "rate_bps"),
    ("agency", "share_bps"),
    ("terms", "platform_fee_bps"),
    ("terms", "creator_tax_bps"),
]


def example(topic: ModuleType, type_name: str) -> dict[str, Any]:
    return copy.deepcopy(EXAMPLES[topic.TOPIC][type_name])


def changed(data: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    result = copy.deepcopy(data)
    target: Any = result
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return result


def placed(**changes: Any) -> dict[str, Any]:
    return {**example(orders_v1, "order.placed"), **changes}


def a_line(**changes: Any) -> dict[str, Any]:
    return {**example(orders_v1, "order.placed")["lines"][0], **changes}


def test_every_registered_event_type_has_an_example_here() -> None:
    for topic in TOPICS:
        assert set(topic.EVENT_TYPES) == set(EXAMPLES[topic.TOPIC]), topic.TOPIC


@pytest.mark.parametrize(("topic", "type_name"), ALL_TYPES)
def test_every_registered_event_type_parses_a_valid_example_into_its_model(
    topic: ModuleType, type_name: str
) -> None:
    event = topic.parse(type_name, example(topic, type_name))

    assert type(event) is topic.EVENT_TYPES[type_name]
    assert type_name == event.TYPE


@pytest.mark.parametrize(("topic", "type_name"), ALL_TYPES)
def test_every_event_survives_publishing_and_reading_back_through_kafka(
    topic: ModuleType, type_name: str
) -> None:
    event = topic.parse(type_name, example(topic, type_name))

    envelope = topic.to_envelope(event, event_id=EVENT_ID, time=RECORDED_AT)
    record = to_kafka(envelope)
    read_back = topic.parse_envelope(from_kafka(record.key, record.value, record.headers))

    assert read_back == event
    assert envelope.source == topic.SOURCE
    assert envelope.type == type_name
    assert envelope.schemaversion == topic.SCHEMA_VERSION


@pytest.mark.parametrize(
    ("topic", "type_name", "expected_key"),
    [
        (orders_v1, "order.refunded", "order-1"),
        (ledger_v1, "ledger.order_released", "order-1"),
        (ledger_v1, "ledger.payout_posted", "creator:creator-x"),
        (payouts_v1, "settlement.released", "order-1"),
        (payouts_v1, "payout.paid", "creator:creator-x"),
    ],
)
def test_order_events_are_keyed_by_order_and_payout_events_by_payee(
    topic: ModuleType, type_name: str, expected_key: str
) -> None:
    event = topic.parse(type_name, example(topic, type_name))

    assert topic.to_envelope(event, event_id=EVENT_ID, time=RECORDED_AT).key == expected_key


def test_an_envelope_keyed_otherwise_than_its_event_is_refused() -> None:
    envelope = new_envelope(
        "order.delivered",
        orders_v1.SOURCE,
        "order-2",
        example(orders_v1, "order.delivered"),
        event_id=EVENT_ID,
        time=RECORDED_AT,
    )

    with pytest.raises(MalformedEventError, match="does not match"):
        orders_v1.parse_envelope(envelope)


@pytest.mark.parametrize(("topic", "type_name", "path"), AMOUNT_FIELDS)
@pytest.mark.parametrize("bad_amount", [1500.0, "1500", True, None])
def test_an_amount_given_as_a_float_string_or_boolean_is_rejected(
    topic: ModuleType, type_name: str, path: tuple[str | int, ...], bad_amount: object
) -> None:
    with pytest.raises(ValidationError):
        topic.parse(type_name, changed(example(topic, type_name), path, bad_amount))


@pytest.mark.parametrize("path", RATE_FIELDS)
@pytest.mark.parametrize("bad_rate", [500.0, "500", 10_001, -1])
def test_a_rate_that_is_not_integer_basis_points_is_rejected(
    path: tuple[str | int, ...], bad_rate: object
) -> None:
    with pytest.raises(ValidationError):
        orders_v1.parse("order.placed", changed(placed(), path, bad_rate))


@pytest.mark.parametrize(("topic", "type_name"), ALL_TYPES)
def test_an_unknown_top_level_field_is_rejected(topic: ModuleType, type_name: str) -> None:
    data = {**example(topic, type_name), "surprise": 1}

    with pytest.raises(ValidationError, match="surprise"):
        topic.parse(type_name, data)


@pytest.mark.parametrize(
    "path",
    [
        ("lines", 0, "surprise"),
        ("agency", "surprise"),
        ("terms", "surprise"),
    ],
)
def test_an_unknown_nested_field_is_rejected(path: tuple[str | int, ...]) -> None:
    with pytest.raises(ValidationError, match="surprise"):
        orders_v1.parse("order.placed", changed(placed(), path, 1))


def test_an_unknown_field_in_a_leg_is_rejected() -> None:
    data = changed(example(ledger_v1, "ledger.order_posted"), ("legs", 0, "note"), "x")

    with pytest.raises(ValidationError, match="note"):
        ledger_v1.parse("ledger.order_posted", data)


@pytest.mark.parametrize("topic", TOPICS)
def test_a_type_the_topic_does_not_carry_is_an_unknown_event_type(topic: ModuleType) -> None:
    with pytest.raises(UnknownEventTypeError, match=r"order\.shipped"):
        topic.parse("order.shipped", {})


@pytest.mark.parametrize("version", [0, 2])
def test_a_schema_version_this_code_does_not_know_is_refused(version: int) -> None:
    with pytest.raises(UnsupportedSchemaVersionError):
        orders_v1.parse("order.cancelled", example(orders_v1, "order.cancelled"), version=version)


@pytest.mark.parametrize(("topic", "type_name"), ALL_TYPES)
def test_upcasting_version_1_data_returns_it_unchanged(topic: ModuleType, type_name: str) -> None:
    data = example(topic, type_name)

    assert topic.upcast(type_name, 1, data) == data


def test_every_parse_failure_is_a_value_error_so_consumers_can_dlq_it() -> None:
    for error in (UnknownEventTypeError, UnsupportedSchemaVersionError, ValidationError):
        assert issubclass(error, ValueError)


def test_the_worked_example_order_has_the_paid_total_of_the_domain_contract() -> None:
    order = orders_v1.parse("order.placed", placed())

    assert isinstance(order, orders_v1.OrderPlaced)
    assert [line.base for line in order.lines] == [3000, 900]
    assert order.paid_total == 4299


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (a_line(discount=3001), "discount exceeds"),
        (a_line(plan_id=None, plan_type=None), "a rate without a plan"),
        (a_line(plan_type=None), "plan_id and plan_type go together"),
        (a_line(rate_bps=99), "within 100..8000 bps"),
        (a_line(rate_bps=8001), "within 100..8000 bps"),
        (a_line(plan_type="featured"), "plan_type"),
        (a_line(quantity=0), "quantity"),
    ],
)
def test_an_order_line_that_breaks_the_commission_rules_is_rejected(
    line: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ValidationError, match=reason):
        orders_v1.parse("order.placed", placed(lines=[line]))


def test_a_line_without_a_plan_earns_nothing_and_is_valid() -> None:
    line = a_line(rate_bps=0, plan_id=None, plan_type=None)

    order = orders_v1.parse("order.placed", placed(lines=[line], creator_id=None, agency=None))

    assert isinstance(order, orders_v1.OrderPlaced)
    assert order.creator_id is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"lines": [a_line(), a_line(sku="B")]}, "line_no must be unique"),
        ({"lines": []}, "lines"),
        ({"creator_id": None}, "a commission rate needs a creator"),
        ({"currency": "gbp"}, "currency"),
        ({"currency": "EUR"}, "not a currency the system settles in"),
        ({"occurred_at": "2024-05-01T10:00:00"}, "occurred_at"),
        ({"occurred_at": 1714557600}, "occurred_at"),
        ({"occurred_at": "1714557600"}, "occurred_at"),
    ],
)
def test_an_order_placed_that_breaks_the_contract_is_rejected(
    changes: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ValidationError, match=reason):
        orders_v1.parse("order.placed", placed(**changes))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("terms", "release_rule"), "end_of_quarter"),
        (("terms", "release_rule"), {"kind": "next_day"}),
        (("terms", "after_sales_window_days"), -1),
        (("terms", "after_sales_window_days"), 14.0),
        (("terms", "min_payout"), -1),
    ],
)
def test_terms_a_consumer_could_not_compute_with_are_rejected(
    path: tuple[str | int, ...], value: object
) -> None:
    with pytest.raises(ValidationError, match=str(path[-1])):
        orders_v1.parse("order.placed", changed(placed(), path, value))


@pytest.mark.parametrize("code", sorted(DEFAULT_REGIONS))
def test_the_terms_of_every_default_region_travel_on_the_event_unchanged(code: str) -> None:
    region = DEFAULT_REGIONS[code]
    terms = OrderTerms.from_region(region)

    order = orders_v1.parse("order.placed", placed(terms=terms.model_dump(mode="json")))

    assert isinstance(order, orders_v1.OrderPlaced)
    assert order.terms == terms
    assert order.terms.release_rule == region.release_rule
    assert order.terms.release_terms().min_payout == region.min_payout


def test_an_agency_without_a_creator_is_accepted_and_earns_nothing_to_split() -> None:
    line = a_line(rate_bps=0, plan_id=None, plan_type=None)

    order = orders_v1.parse("order.placed", placed(lines=[line], creator_id=None))

    assert isinstance(order, orders_v1.OrderPlaced)
    assert order.agency is not None


def test_a_refund_whose_running_total_is_below_its_own_amount_is_rejected() -> None:
    data = {**example(orders_v1, "order.refunded"), "refunded_total": 1499}

    with pytest.raises(ValidationError, match="refunded_total"):
        orders_v1.parse("order.refunded", data)


def test_posted_legs_that_do_not_sum_to_the_paid_total_are_rejected() -> None:
    data = {**example(ledger_v1, "ledger.order_posted"), "paid_total": 4300}

    with pytest.raises(ValidationError, match="sum to paid_total"):
        ledger_v1.parse("ledger.order_posted", data)


def test_two_legs_for_one_party_are_rejected() -> None:
    legs = [
        {"party_type": "platform", "party_id": "platform-UK", "amount": 351},
        {"party_type": "platform", "party_id": "platform-UK", "amount": 0},
    ]
    data = {**example(payouts_v1, "settlement.released"), "legs": legs}

    with pytest.raises(ValidationError, match="only one leg"):
        payouts_v1.parse("settlement.released", data)


def test_a_leg_for_an_unknown_party_type_is_rejected() -> None:
    data = changed(example(ledger_v1, "ledger.order_released"), ("legs", 0, "party_type"), "buyer")

    with pytest.raises(ValidationError, match="party_type"):
        ledger_v1.parse("ledger.order_released", data)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"refund_id": None}, "refund_id is required for a refund"),
        ({"reason": "cancel"}, "absent for a cancellation"),
        ({"reason": "cancel", "refund_id": None, "phase": "clawback"}, "never after release"),
        ({"amount": 1501}, "sum to amount"),
        ({"phase": "later"}, "phase"),
    ],
)
def test_a_reversal_that_contradicts_itself_is_rejected(
    changes: dict[str, Any], reason: str
) -> None:
    data = {**example(ledger_v1, "ledger.order_reversed"), **changes}

    with pytest.raises(ValidationError, match=reason):
        ledger_v1.parse("ledger.order_reversed", data)


def test_a_cancellation_reverses_from_pending_without_a_refund_id() -> None:
    changes = {"reason": "cancel", "refund_id": None, "phase": "pending"}
    data = {**example(ledger_v1, "ledger.order_reversed"), **changes}

    event = ledger_v1.parse("ledger.order_reversed", data)

    assert isinstance(event, ledger_v1.LedgerOrderReversed)
    assert event.refund_id is None


@pytest.mark.parametrize("amount", [0, -1])
def test_a_payout_of_nothing_is_rejected(amount: int) -> None:
    data = {**example(payouts_v1, "payout.created"), "amount": amount}

    with pytest.raises(ValidationError, match="amount"):
        payouts_v1.parse("payout.created", data)


def test_the_payee_key_joins_party_type_and_id() -> None:
    assert payee_key("agency", "mcn:7") == "agency:mcn:7"


@pytest.mark.parametrize(("topic", "type_name"), ALL_TYPES)
def test_a_parsed_event_cannot_be_changed(topic: ModuleType, type_name: str) -> None:
    event = topic.parse(type_name, example(topic, type_name))
    field = next(iter(type(event).model_fields))

    with pytest.raises(ValidationError, match="frozen"):
        setattr(event, field, "changed")


@given(
    unit_price=st.integers(min_value=0, max_value=10**15),
    quantity=st.integers(min_value=1, max_value=10**6),
    shipping_fee=st.integers(min_value=0, max_value=10**15),
)
def test_any_non_negative_integer_money_is_accepted_exactly(
    unit_price: int, quantity: int, shipping_fee: int
) -> None:
    line = a_line(unit_price=unit_price, quantity=quantity, discount=0)

    order = orders_v1.parse("order.placed", placed(lines=[line], shipping_fee=shipping_fee))

    assert isinstance(order, orders_v1.OrderPlaced)
    assert order.paid_total == unit_price * quantity + shipping_fee


def test_each_topic_module_names_its_topic_and_version() -> None:
    topics: Mapping[ModuleType, str] = {
        orders_v1: "orders.v1",
        ledger_v1: "ledger.v1",
        payouts_v1: "payouts.v1",
    }
    for topic, name in topics.items():
        assert name == topic.TOPIC
        assert topic.SCHEMA_VERSION == 1
        assert all(type_name == model.TYPE for type_name, model in topic.EVENT_TYPES.items())
