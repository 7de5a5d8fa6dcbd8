"""Who may read which order: an order is (shop_id, order_id), and a caller only ever considers
the orders it is a party to, so every other one answers exactly like a missing order."""

import json
from datetime import UTC, datetime

from services.orders.adapters.db.tables import orders
from services.orders.api.problems import as_problem
from services.orders.domain.facts import Agency, Delivered, Line, Placed
from services.orders.domain.order import decide
from services.orders.service.errors import OrderInSeveralShops, OrderNotFound
from services.orders.service.queries import OrderView, shop_to_read, visible_order
from shared.auth import Principal

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
ADMIN = Principal.admin()


def placed_view(
    shop_id: str, order_id: str = "o-1", creator_id: str | None = None, agency: str | None = None
) -> OrderView:
    fact = Placed(
        order_id=order_id,
        occurred_at=T0,
        currency="GBP",
        lines=(Line("A", 1, 1000, 0),),
        shipping_fee=0,
        creator_id=creator_id,
        agency=Agency(agency, 2000) if agency else None,
    )
    state = decide(None, fact, plans=()).new_state
    return OrderView(order_id=order_id, shop_id=shop_id, state=state, terms=None)


def awaiting_view(shop_id: str, order_id: str = "o-1") -> OrderView:
    state = decide(None, Delivered(order_id, T0), plans=()).new_state
    return OrderView(order_id=order_id, shop_id=shop_id, state=state, terms=None)


def read(
    candidates: list[OrderView], reader: Principal, shop_id: str | None = None
) -> OrderView | str:
    """The order the reader gets, or the name of the failure it gets instead."""
    try:
        return visible_order("o-1", candidates, reader=reader, shop_id=shop_id)
    except OrderInSeveralShops as error:
        return f"several: {','.join(error.shop_ids)}"
    except OrderNotFound:
        return "not found"


S1 = placed_view("s-1", creator_id="c-1", agency="a-1")
S2 = placed_view("s-2", creator_id="c-2", agency="a-1")
S3 = placed_view("s-3", creator_id="c-1")
TWO_SHOPS = [S1, S2]


def test_the_admin_reads_the_only_order_of_an_id_without_naming_its_shop() -> None:
    assert read([S2], ADMIN) == S2


def test_the_admin_gets_the_list_of_shops_when_an_id_is_used_by_several() -> None:
    assert read([S2, S1, S3], ADMIN) == "several: s-1,s-2,s-3"


def test_the_admin_naming_a_shop_reads_that_shops_order_only() -> None:
    assert read(TWO_SHOPS, ADMIN, shop_id="s-2") == S2
    assert read(TWO_SHOPS, ADMIN, shop_id="s-9") == "not found"


def test_no_order_of_the_id_is_not_found_for_everyone() -> None:
    for reader in (ADMIN, Principal.reader("merchant", "s-1"), Principal.reader("creator", "c")):
        assert read([], reader) == "not found"


def test_a_merchant_reads_its_own_shops_order_and_no_other() -> None:
    merchant = Principal.reader("merchant", "s-1")

    assert read(TWO_SHOPS, merchant) == S1
    assert read(TWO_SHOPS, merchant, shop_id="s-1") == S1
    assert read(TWO_SHOPS, merchant, shop_id="s-2") == "not found"
    assert read([S2], merchant) == "not found"


def test_a_merchant_only_ever_reads_its_own_shops_rows() -> None:
    assert shop_to_read(Principal.reader("merchant", "s-1"), None) == "s-1"
    assert shop_to_read(Principal.reader("merchant", "s-1"), "s-2") == "s-1"
    assert shop_to_read(ADMIN, None) is None
    assert shop_to_read(Principal.reader("creator", "c-1"), "s-2") == "s-2"


def test_a_creator_reads_only_orders_whose_placement_names_it() -> None:
    assert read(TWO_SHOPS, Principal.reader("creator", "c-1")) == S1
    assert read(TWO_SHOPS, Principal.reader("creator", "c-2")) == S2
    assert read(TWO_SHOPS, Principal.reader("creator", "c-1"), shop_id="s-2") == "not found"
    assert read(TWO_SHOPS, Principal.reader("creator", "c-9")) == "not found"


def test_a_creator_of_the_id_in_several_shops_sees_only_its_own_shops_listed() -> None:
    assert read([S1, S2, S3], Principal.reader("creator", "c-1")) == "several: s-1,s-3"
    assert read([S1, S2, S3], Principal.reader("creator", "c-1"), shop_id="s-3") == S3


def test_an_agency_reads_only_orders_whose_placement_names_it() -> None:
    agency = Principal.reader("agency", "a-1")

    assert read(TWO_SHOPS, agency) == "several: s-1,s-2"
    assert read(TWO_SHOPS, agency, shop_id="s-1") == S1
    assert read([S3], agency) == "not found"


def test_an_order_awaiting_its_placement_is_its_shops_but_names_no_creator() -> None:
    waiting = awaiting_view("s-1")

    assert read([waiting], Principal.reader("merchant", "s-1")) == waiting
    assert read([waiting], ADMIN) == waiting
    assert read([waiting], Principal.reader("creator", "c-1")) == "not found"


def test_a_party_type_is_not_confused_with_another_of_the_same_id() -> None:
    same_id = placed_view("x", creator_id="x", agency="x")

    assert read([same_id], Principal.reader("merchant", "x")) == same_id
    assert read([placed_view("s", creator_id="x")], Principal.reader("agency", "x")) == (
        "not found"
    )
    assert read([placed_view("x")], Principal.reader("creator", "x")) == "not found"


def test_several_shops_answer_a_409_problem_listing_them() -> None:
    problem = as_problem(OrderInSeveralShops("o-1", ("s-1", "s-2")))

    body = json.loads(bytes(problem.to_response("/v1/orders/o-1").body))

    assert problem.status == 409
    assert body == {
        "type": "https://settlement.example/problems/order-in-several-shops",
        "title": "Order in several shops",
        "status": 409,
        "detail": "order id o-1 is used by shops s-1, s-2; name one with shop_id",
        "instance": "/v1/orders/o-1",
        "shops": ["s-1", "s-2"],
    }


def test_an_order_row_is_keyed_by_its_shop_and_its_id() -> None:
    assert [column.name for column in orders.primary_key.columns] == ["shop_id", "order_id"]
