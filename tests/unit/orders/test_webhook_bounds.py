"""The webhook edge names a field out of bounds the way it names any invalid field: a 422
``validation-error`` whose ``errors[].loc`` points into the body."""

import json
from typing import Any

import pytest
from pydantic import ValidationError

from services.orders.api.problems import as_problem
from services.orders.api.webhook_schemas import webhook_adapter, webhook_body_schema
from services.orders.domain.errors import InvalidOrder, OutOfBounds

LINE = {"sku": "A", "quantity": 1, "unit_price": 1500, "discount": 0}


def body(kind: str, data: dict[str, Any]) -> bytes:
    return json.dumps({"type": kind, "occurred_at": "2026-11-20T10:00:00Z", "data": data}).encode()


def placement(**data: Any) -> bytes:
    return body("order.placed", {"order_id": "o-1", "currency": "GBP", "lines": [LINE], **data})


def refund(amount: int) -> bytes:
    return body("order.refunded", {"order_id": "o-1", "refund_id": "r-1", "amount": amount})


def locations(webhook: bytes) -> list[tuple[Any, ...]]:
    with pytest.raises(ValidationError) as raised:
        webhook_adapter.validate_json(webhook)
    return [error["loc"] for error in raised.value.errors()]


def test_the_largest_amounts_quantity_and_line_count_parse() -> None:
    largest = {"sku": "A", "quantity": 10**6, "unit_price": 10**12, "discount": 10**12}
    webhook_adapter.validate_json(placement(lines=[largest], shipping_fee=10**12))
    webhook_adapter.validate_json(placement(lines=[LINE] * 500))
    webhook_adapter.validate_json(refund(10**12))


@pytest.mark.parametrize(
    ("webhook", "loc"),
    [
        (placement(lines=[{**LINE, "unit_price": 10**12 + 1}]), ("data", "lines", 0, "unit_price")),
        (placement(lines=[{**LINE, "unit_price": 10**30}]), ("data", "lines", 0, "unit_price")),
        (placement(lines=[{**LINE, "unit_price": 2**63}]), ("data", "lines", 0, "unit_price")),
        (placement(lines=[{**LINE, "quantity": 10**6 + 1}]), ("data", "lines", 0, "quantity")),
        (placement(lines=[{**LINE, "discount": 10**12 + 1}]), ("data", "lines", 0, "discount")),
        (placement(shipping_fee=10**12 + 1), ("data", "shipping_fee")),
        (placement(lines=[LINE] * 501), ("data", "lines")),
        (refund(10**12 + 1), ("data", "amount")),
    ],
)
def test_one_past_a_bound_of_a_single_field_is_located_at_that_field(
    webhook: bytes, loc: tuple[Any, ...]
) -> None:
    (located,) = locations(webhook)
    assert located[1:] == loc


def test_a_bound_the_domain_finds_becomes_the_same_problem_located_under_the_webhook_type() -> None:
    error = OutOfBounds("paid_total must be at most 10000000000000", loc=("data", "paid_total"))

    problem = as_problem(error, loc_prefix=("order.placed",))

    assert (problem.status, problem.title, problem.type_suffix) == (
        422,
        "Invalid webhook payload",
        "validation-error",
    )
    assert problem.extra == {
        "errors": [
            {
                "loc": ["order.placed", "data", "paid_total"],
                "msg": "paid_total must be at most 10000000000000",
            }
        ]
    }


def test_other_invalid_orders_keep_their_own_problem() -> None:
    problem = as_problem(InvalidOrder("an order needs at least one line"))
    assert (problem.status, problem.type_suffix, problem.extra) == (422, "invalid-order", {})


def test_the_published_body_schema_states_the_bounds() -> None:
    schema = json.dumps(webhook_body_schema())
    assert '"maximum": 1000000000000' in schema
    assert '"maximum": 1000000' in schema
    assert '"maxItems": 500' in schema
