"""What an order shows each caller: the admin and its merchant all of it; a creator or an agency
what its own commission comes from, not the order's totals or another party's terms."""

from datetime import UTC, datetime, timedelta
from typing import Any

from services.orders.api.schemas import OrderPublic
from services.orders.domain.facts import Agency, Line, Placed, Refunded
from services.orders.domain.order import OrderState, decide
from shared.auth import Principal
from shared.privacy import visibility

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TERMS = {"platform_fee_bps": 900, "platform_cut_bps": 0, "creator_tax_bps": 0}


def refunded_order() -> OrderState:
    placed = Placed(
        order_id="o-1",
        occurred_at=T0,
        currency="GBP",
        lines=(Line("A", 2, 1500, 0), Line("B", 1, 1000, 100)),
        shipping_fee=399,
        creator_id="c-1",
        agency=Agency("a-1", 2000),
    )
    state = decide(None, placed, plans=()).new_state
    refund = Refunded("o-1", T0 + timedelta(hours=1), "r-1", 1000)
    return decide(state, refund, plans=()).new_state


def seen_by(principal: Principal) -> dict[str, Any]:
    order = OrderPublic.of("s-1", refunded_order(), TERMS, visibility(principal, "s-1"))
    return order.model_dump(mode="json")


def test_the_admin_and_the_merchant_see_the_whole_order() -> None:
    admin = seen_by(Principal.admin())
    assert admin == seen_by(Principal.reader("merchant", "s-1"))
    assert (admin["paid_total"], admin["shipping_fee"], admin["refunded_total"]) == (
        4299,
        399,
        1000,
    )
    assert admin["terms"] == TERMS and admin["refunds"][0]["amount"] == 1000
    assert admin["agency"] == {"agency_id": "a-1", "share_bps": 2000}


def test_a_creator_sees_its_lines_and_rates_but_not_the_totals_terms_or_agency_share() -> None:
    creator = seen_by(Principal.reader("creator", "c-1"))
    admin = seen_by(Principal.admin())

    assert creator["lines"] == admin["lines"]
    assert (creator["status"], creator["currency"], creator["creator_id"]) == (
        "placed",
        "GBP",
        "c-1",
    )
    hidden = ("paid_total", "shipping_fee", "refunded_total", "terms")
    assert [creator[field] for field in hidden] == [None] * len(hidden)
    assert creator["refunds"] == [
        {"refund_id": "r-1", "amount": None, "occurred_at": admin["refunds"][0]["occurred_at"]}
    ]
    assert creator["agency"] == {"agency_id": "a-1"}


def test_an_agency_sees_its_own_share_rate_and_not_the_totals() -> None:
    agency = seen_by(Principal.reader("agency", "a-1"))

    assert agency["agency"] == {"agency_id": "a-1", "share_bps": 2000}
    assert agency["paid_total"] is None and agency["terms"] is None
    assert agency["refunds"][0]["amount"] is None
