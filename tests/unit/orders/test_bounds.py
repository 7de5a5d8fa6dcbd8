"""DOMAIN.md "Bounds at the edge" in the domain: the extremes are taken, one past them is not."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.orders.domain.bounds import (
    EARLIEST_OCCURRED_AT,
    MAX_AMOUNT,
    MAX_LINES,
    MAX_PAID_TOTAL,
    MAX_QUANTITY,
    field_name,
)
from services.orders.domain.errors import InvalidOrder, OutOfBounds
from services.orders.domain.facts import Delivered, Fact, Line, Placed, Refunded, validate_fact
from services.orders.domain.order import decide
from services.orders.domain.plans import Plan

RECEIVED_AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
PLANS = (Plan("shop-wide", "shop-1", "shop", 8000),)


def placed(**changes: object) -> Placed:
    fact = Placed("o-1", T0, "GBP", (Line("A", 1, 1500),), shipping_fee=399, creator_id="X")
    return replace(fact, **changes)  # type: ignore[arg-type]


def out_of_bounds(fact: Fact, received_at: datetime | None = RECEIVED_AT) -> OutOfBounds:
    with pytest.raises(OutOfBounds) as raised:
        validate_fact(fact, received_at=received_at)
    return raised.value


@pytest.mark.parametrize(
    "fact",
    [
        placed(lines=(Line("A", 1, 1),) * MAX_LINES),
        placed(lines=(Line("A", 10, MAX_AMOUNT),), shipping_fee=0),
        placed(lines=(Line("A", 9, MAX_AMOUNT), Line("B", 1, MAX_AMOUNT)), shipping_fee=0),
        placed(lines=(Line("A", MAX_QUANTITY, 1_000_000, MAX_AMOUNT),), shipping_fee=MAX_AMOUNT),
        placed(occurred_at=EARLIEST_OCCURRED_AT),
        placed(occurred_at=RECEIVED_AT + timedelta(minutes=5)),
        Refunded("o-1", T0, "r-1", MAX_AMOUNT),
        Delivered("o-1", RECEIVED_AT + timedelta(minutes=4, seconds=59)),
    ],
)
def test_the_extremes_of_every_bound_are_valid(fact: Fact) -> None:
    validate_fact(fact, received_at=RECEIVED_AT)
    decide(None, fact, plans=PLANS)


def test_an_order_at_the_largest_paid_total_is_placed_and_can_be_refunded() -> None:
    largest = placed(lines=(Line("A", 10, MAX_AMOUNT),), shipping_fee=0)
    state = decide(None, largest, plans=PLANS).new_state
    state = decide(state, Refunded("o-1", T0, "r-1", MAX_AMOUNT), plans=PLANS).new_state
    assert state.paid_total == MAX_PAID_TOTAL
    assert state.refunded_total == MAX_AMOUNT


@pytest.mark.parametrize(
    ("fact", "loc"),
    [
        (placed(lines=(Line("A", 1, 1),) * (MAX_LINES + 1)), ("data", "lines")),
        (placed(lines=(Line("A", 1, MAX_AMOUNT + 1),)), ("data", "lines", "0", "unit_price")),
        (
            placed(lines=(Line("A", 1, 1), Line("B", MAX_QUANTITY + 1, 1))),
            ("data", "lines", "1", "quantity"),
        ),
        (
            placed(lines=(Line("A", 2, MAX_AMOUNT, MAX_AMOUNT + 1),)),
            ("data", "lines", "0", "discount"),
        ),
        (placed(shipping_fee=MAX_AMOUNT + 1), ("data", "shipping_fee")),
        (placed(lines=(Line("A", 10, MAX_AMOUNT),), shipping_fee=1), ("data", "paid_total")),
        (placed(lines=(Line("A", MAX_QUANTITY, MAX_AMOUNT),)), ("data", "paid_total")),
        (Refunded("o-1", T0, "r-1", MAX_AMOUNT + 1), ("data", "amount")),
        (placed(occurred_at=EARLIEST_OCCURRED_AT - timedelta(microseconds=1)), ("occurred_at",)),
        (placed(occurred_at=RECEIVED_AT + timedelta(minutes=5, microseconds=1)), ("occurred_at",)),
        (Delivered("o-1", datetime(9999, 12, 31, tzinfo=UTC)), ("occurred_at",)),
        (Delivered("o-1", datetime(1, 1, 1, tzinfo=UTC)), ("occurred_at",)),
    ],
)
def test_one_past_a_bound_is_out_of_bounds_naming_the_field(
    fact: Fact, loc: tuple[str, ...]
) -> None:
    assert out_of_bounds(fact).loc == loc


def test_the_reproduced_inputs_that_got_stuck_downstream_are_out_of_bounds() -> None:
    assert out_of_bounds(placed(lines=(Line("A", 1, 10**30),))).reason == (
        "lines[0].unit_price must be at most 1000000000000"
    )
    assert out_of_bounds(placed(lines=(Line("A", 1, 2**63),))).loc[-1] == "unit_price"
    assert out_of_bounds(placed(lines=(Line("A", MAX_QUANTITY, 10**13),))).loc[-1] == "unit_price"


def test_occurred_at_is_compared_as_an_instant_whatever_its_offset() -> None:
    plus_one = timezone(timedelta(hours=1))
    before_2000 = datetime(2000, 1, 1, 0, 30, tzinfo=plus_one)  # 1999-12-31T23:30:00Z
    ahead = (RECEIVED_AT + timedelta(minutes=5)).astimezone(timezone(timedelta(hours=-8)))
    assert out_of_bounds(placed(occurred_at=before_2000)).loc == ("occurred_at",)
    validate_fact(placed(occurred_at=ahead), received_at=RECEIVED_AT)


def test_without_a_receipt_time_only_the_lower_bound_of_occurred_at_is_checked() -> None:
    far_ahead = placed(occurred_at=RECEIVED_AT + timedelta(days=1))
    validate_fact(far_ahead)
    assert out_of_bounds(far_ahead, received_at=RECEIVED_AT).loc == ("occurred_at",)
    assert out_of_bounds(placed(occurred_at=datetime(1, 1, 1, tzinfo=UTC)), None).loc == (
        "occurred_at",
    )


def test_decide_refuses_what_is_out_of_bounds_before_looking_at_the_state() -> None:
    with pytest.raises(InvalidOrder, match=r"paid_total .* must be at most 10000000000000"):
        decide(None, placed(lines=(Line("A", 10, MAX_AMOUNT),), shipping_fee=1), plans=PLANS)


def test_a_field_is_named_as_the_payload_spells_it() -> None:
    assert field_name(("data", "lines", "12", "unit_price")) == "lines[12].unit_price"
    assert field_name(("data", "paid_total")) == "paid_total"
    assert field_name(("occurred_at",)) == "occurred_at"
