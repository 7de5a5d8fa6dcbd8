import dataclasses

import pytest

from services.ledger.domain.errors import InvalidOrderError
from services.ledger.domain.order import Agency, OrderLine, PlacedOrder, SplitTerms
from shared.regions import region_terms


def valid_order() -> PlacedOrder:
    return PlacedOrder(
        order_id="order-1",
        shop_id="shop-1",
        currency="GBP",
        lines=(OrderLine("A", quantity=2, unit_price=1500, discount=0, rate_bps=2000),),
        shipping_fee=399,
        terms=SplitTerms.from_region(region_terms("UK")),
        creator_id="creator-x",
        agency=Agency("mcn-1", share_bps=2000),
    )


def test_a_line_base_is_price_times_quantity_less_discount() -> None:
    assert OrderLine("B", quantity=3, unit_price=1000, discount=100, rate_bps=500).base == 2900
    assert OrderLine("C", quantity=1, unit_price=500, discount=500, rate_bps=0).base == 0


def test_paid_total_is_the_commissionable_base_plus_shipping() -> None:
    order = valid_order()
    assert (order.commissionable_base, order.paid_total) == (3000, 3399)


@pytest.mark.parametrize(
    "changes",
    [
        {"quantity": 0},
        {"quantity": 1.0},
        {"unit_price": -1},
        {"unit_price": 15.5},
        {"discount": 3001},
        {"discount": True},
        {"rate_bps": 10_001},
        {"rate_bps": -1},
        {"sku": ""},
        {"plan_id": ""},
    ],
)
def test_an_invalid_line_is_refused(changes: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "sku": "A",
        "quantity": 2,
        "unit_price": 1500,
        "discount": 0,
        "rate_bps": 2000,
        "plan_id": "tgt",
    }
    with pytest.raises(InvalidOrderError):
        OrderLine(**{**fields, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes",
    [
        {"currency": "EUR"},
        {"lines": ()},
        {"lines": [OrderLine("A", 1, 1, 0, 0)]},
        {"shipping_fee": -1},
        {"shipping_fee": 3.99},
        {"order_id": ""},
        {"creator_id": ""},
    ],
)
def test_an_invalid_order_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidOrderError):
        dataclasses.replace(valid_order(), **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("terms", [(10_001, 0, 0), (0, -1, 0), (0, 0, 1.5), (True, 0, 0)])
def test_out_of_range_terms_are_refused(terms: tuple[int, int, int]) -> None:
    with pytest.raises(InvalidOrderError):
        SplitTerms(*terms)


@pytest.mark.parametrize(("agency_id", "share_bps"), [("mcn-1", 10_001), ("mcn-1", -1), ("", 1)])
def test_an_invalid_agency_is_refused(agency_id: str, share_bps: int) -> None:
    with pytest.raises(InvalidOrderError):
        Agency(agency_id, share_bps)
