import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from settlement_cli.demo.scenario import STORIES, build_scenario
from shared.regions import region_terms, release_at

NOW = datetime(2026, 11, 22, 11, 30, tzinfo=UTC)


def test_the_same_seed_and_instant_give_the_same_business() -> None:
    assert build_scenario(7, "r1", NOW) == build_scenario(7, "r1", NOW)


def test_another_seed_gives_other_orders() -> None:
    first = [o.events[0].body() for o in build_scenario(7, "r1", NOW).orders]
    second = [o.events[0].body() for o in build_scenario(8, "r1", NOW).orders]
    assert first != second


def test_shops_in_the_uk_indonesia_and_china_each_have_shop_open_and_targeted_plans() -> None:
    scenario = build_scenario(1, "r1", NOW)
    assert {shop.region for shop in scenario.shops} >= {"UK", "ID", "CN"}
    for shop in scenario.shops:
        assert sorted(p["type"] for p in shop.plans) == ["open", "shop", "targeted"]
        assert all(100 <= p["rate_bps"] <= 8000 for p in shop.plans)
        targeted = next(p for p in shop.plans if p["type"] == "targeted")
        assert 1 <= len(targeted["creator_ids"]) <= 30


def test_every_shop_plays_every_story() -> None:
    scenario = build_scenario(1, "r1", NOW)
    for shop in scenario.shops:
        stories = {o.story for o in scenario.orders if o.shop_id == shop.shop_id}
        assert stories == set(STORIES)


def test_orders_are_sold_by_creators_with_and_without_agencies_and_directly() -> None:
    placed = [o.events[0].data for o in build_scenario(1, "r1", NOW).orders]
    assert any("agency" in data for data in placed)
    assert any("creator_id" in data and "agency" not in data for data in placed)
    assert any("creator_id" not in data for data in placed)


def test_orders_that_must_release_were_delivered_long_enough_ago_to_be_due() -> None:
    for order in build_scenario(3, "r1", NOW, orders_per_shop=30).orders:
        delivered = [e for e in order.events if e.type == "order.delivered"]
        if order.releases or order.story == "refunded_fully":
            assert release_at(region_terms(order.region), delivered[0].occurred_at) <= NOW
        elif order.story == "in_window":
            assert release_at(region_terms(order.region), delivered[0].occurred_at) > NOW
        else:
            assert not delivered, order.story


def test_each_orders_events_are_in_business_order_and_never_in_the_future() -> None:
    for order in build_scenario(4, "r1", NOW).orders:
        times = [e.occurred_at for e in (*order.events, *order.after_release)]
        assert times == sorted(times)
        assert times[-1] <= NOW
        assert order.events[0].type == "order.placed"


def test_refunds_never_exceed_what_the_buyer_paid_and_full_refunds_refund_it_all() -> None:
    for order in build_scenario(5, "r1", NOW, orders_per_shop=40).orders:
        refunds = [e for e in (*order.events, *order.after_release) if e.type == "order.refunded"]
        total = sum(e.data["amount"] for e in refunds)
        assert 0 <= total <= order.paid_total
        if order.story == "refunded_fully":
            assert total == order.paid_total
        if order.story in ("refunded_partly", "refunded_after_release"):
            assert total > 0


def test_paid_total_is_the_lines_after_discounts_plus_shipping() -> None:
    for order in build_scenario(6, "r1", NOW).orders:
        data = order.events[0].data
        lines = sum(ln["unit_price"] * ln["quantity"] - ln["discount"] for ln in data["lines"])
        assert order.paid_total == lines + data["shipping_fee"]


def test_ids_carry_the_run_id_and_webhook_ids_are_unique() -> None:
    scenario = build_scenario(1, "run42", NOW)
    hooks = [h for o in scenario.orders for h in (*o.events, *o.after_release)]
    assert not [n for n, c in Counter(h.webhook_id for h in hooks).items() if c > 1]
    assert all("run42" in o.order_id and "run42" in o.shop_id for o in scenario.orders)
    assert all("run42" in p.party_id for p in scenario.parties if p.party_type != "platform"
               and p.party_type != "tax")  # fmt: skip


def test_a_webhook_body_is_the_contracts_json_with_an_explicit_offset() -> None:
    hook = build_scenario(1, "r1", NOW).orders[0].events[0]
    body = json.loads(hook.body())
    assert body["type"] == "order.placed"
    assert datetime.fromisoformat(body["occurred_at"]).utcoffset() == timedelta(0)
    assert all(isinstance(line["unit_price"], int) for line in body["data"]["lines"])


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_scenario(1, "r1", NOW.replace(tzinfo=None))
