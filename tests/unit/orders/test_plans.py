from datetime import UTC, datetime, timedelta

import pytest

from services.orders.domain.errors import InvalidPlan
from services.orders.domain.plans import (
    NO_PLAN,
    Plan,
    PlanType,
    ResolvedTerms,
    resolve,
    validate_plan,
)

AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def plan(
    plan_id: str,
    type_: PlanType = "shop",
    rate_bps: int = 500,
    *,
    skus: frozenset[str] = frozenset(),
    creators: frozenset[str] = frozenset(),
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> Plan:
    return Plan(plan_id, "shop-1", type_, rate_bps, skus, creators, starts_at, ends_at)


def open_plan(plan_id: str, rate_bps: int, sku: str = "A") -> Plan:
    return plan(plan_id, "open", rate_bps, skus=frozenset({sku}))


def targeted(plan_id: str, rate_bps: int, sku: str = "A", creator: str = "X") -> Plan:
    return plan(plan_id, "targeted", rate_bps, skus=frozenset({sku}), creators=frozenset({creator}))


def test_a_targeted_plan_beats_open_and_shop_plans_even_with_a_lower_rate() -> None:
    plans = [plan("s", rate_bps=3000), open_plan("o", 2500), targeted("t", 1000)]
    assert resolve(plans, "A", "X", AT) == ResolvedTerms("t", "targeted", 1000)


def test_an_open_plan_beats_a_shop_plan_for_its_skus() -> None:
    plans = [plan("s", rate_bps=3000), open_plan("o", 200)]
    assert resolve(plans, "A", "X", AT) == ResolvedTerms("o", "open", 200)


def test_the_shop_plan_applies_to_skus_no_other_plan_lists() -> None:
    plans = [plan("s", rate_bps=500), open_plan("o", 2000, sku="A"), targeted("t", 3000)]
    assert resolve(plans, "B", "X", AT) == ResolvedTerms("s", "shop", 500)


def test_a_targeted_plan_does_not_apply_to_creators_it_does_not_list() -> None:
    plans = [plan("s", rate_bps=500), targeted("t", 3000, creator="X")]
    assert resolve(plans, "A", "Y", AT) == ResolvedTerms("s", "shop", 500)


def test_no_applicable_plan_means_no_commission() -> None:
    assert resolve([open_plan("o", 2000, sku="A")], "B", "X", AT) == NO_PLAN
    assert resolve([], "A", "X", AT) == ResolvedTerms(None, None, 0)


def test_an_order_without_a_creator_earns_no_commission() -> None:
    assert resolve([plan("s"), open_plan("o", 2000), targeted("t", 3000)], "A", None, AT) == NO_PLAN


def test_the_highest_rate_wins_among_plans_of_the_winning_type() -> None:
    plans = [targeted("t1", 1500), targeted("t2", 2500), targeted("t3", 2000), open_plan("o", 7000)]
    assert resolve(plans, "A", "X", AT) == ResolvedTerms("t2", "targeted", 2500)


def test_equal_rates_go_to_the_lowest_plan_id_whatever_the_input_order() -> None:
    plans = [plan("s-b", rate_bps=700), plan("s-a", rate_bps=700), plan("s-c", rate_bps=700)]
    assert resolve(plans, "A", "X", AT).plan_id == "s-a"
    assert resolve(list(reversed(plans)), "A", "X", AT).plan_id == "s-a"


def test_a_plan_applies_from_its_start_inclusive_until_its_end_exclusive() -> None:
    windowed = plan("w", rate_bps=900, starts_at=AT, ends_at=AT + timedelta(days=1))
    fallback = plan("f", rate_bps=100)
    plans = [windowed, fallback]
    assert resolve(plans, "A", "X", AT - timedelta(microseconds=1)).plan_id == "f"
    assert resolve(plans, "A", "X", AT).plan_id == "w"
    assert resolve(plans, "A", "X", AT + timedelta(days=1, microseconds=-1)).plan_id == "w"
    assert resolve(plans, "A", "X", AT + timedelta(days=1)).plan_id == "f"


def test_an_inactive_targeted_plan_gives_way_to_an_active_open_plan() -> None:
    expired = plan(
        "t",
        "targeted",
        5000,
        skus=frozenset({"A"}),
        creators=frozenset({"X"}),
        ends_at=AT,
    )
    assert resolve([expired, open_plan("o", 1000)], "A", "X", AT).plan_id == "o"


@pytest.mark.parametrize("rate_bps", [100, 101, 7999, 8000])
def test_rates_from_100_to_8000_bps_are_accepted(rate_bps: int) -> None:
    assert validate_plan(plan("p", rate_bps=rate_bps)).rate_bps == rate_bps


@pytest.mark.parametrize("rate_bps", [0, 99, 8001, 10_000, -100])
def test_rates_outside_100_to_8000_bps_are_rejected(rate_bps: int) -> None:
    with pytest.raises(InvalidPlan, match="between 100 and 8000"):
        validate_plan(plan("p", rate_bps=rate_bps))


@pytest.mark.parametrize("rate_bps", [12.5, True, "500"])
def test_a_rate_that_is_not_an_integer_is_rejected(rate_bps: object) -> None:
    with pytest.raises(InvalidPlan, match="integer"):
        validate_plan(plan("p", rate_bps=rate_bps))  # type: ignore[arg-type]


def test_a_targeted_plan_may_list_30_creators_but_not_31() -> None:
    thirty = frozenset(f"c{i}" for i in range(30))
    ok = plan("t", "targeted", 1000, skus=frozenset({"A"}), creators=thirty)
    assert validate_plan(ok) is ok
    too_many = plan("t", "targeted", 1000, skus=frozenset({"A"}), creators=thirty | {"c30"})
    with pytest.raises(InvalidPlan, match="at most 30 creators, got 31"):
        validate_plan(too_many)


def test_a_targeted_plan_must_list_a_creator() -> None:
    with pytest.raises(InvalidPlan, match="at least one creator"):
        validate_plan(plan("t", "targeted", 1000, skus=frozenset({"A"})))


@pytest.mark.parametrize("type_", ["open", "targeted"])
def test_open_and_targeted_plans_require_skus(type_: PlanType) -> None:
    creators = frozenset({"X"}) if type_ == "targeted" else frozenset()
    with pytest.raises(InvalidPlan, match="at least one SKU"):
        validate_plan(plan("p", type_, 1000, creators=creators))


def test_a_shop_plan_lists_no_skus() -> None:
    with pytest.raises(InvalidPlan, match="lists none"):
        validate_plan(plan("s", skus=frozenset({"A"})))


@pytest.mark.parametrize("type_", ["shop", "open"])
def test_only_targeted_plans_list_creators(type_: PlanType) -> None:
    skus = frozenset({"A"}) if type_ == "open" else frozenset()
    with pytest.raises(InvalidPlan, match="only a targeted plan lists creators"):
        validate_plan(plan("p", type_, 1000, skus=skus, creators=frozenset({"X"})))


def test_an_unknown_plan_type_is_rejected() -> None:
    with pytest.raises(InvalidPlan, match="type must be one of"):
        validate_plan(plan("p", "exclusive", 1000))  # type: ignore[arg-type]


def test_a_plan_must_start_before_it_ends() -> None:
    validate_plan(plan("p", starts_at=AT, ends_at=AT + timedelta(seconds=1)))
    with pytest.raises(InvalidPlan, match="starts_at must be before ends_at"):
        validate_plan(plan("p", starts_at=AT, ends_at=AT))
    with pytest.raises(InvalidPlan, match="starts_at must be before ends_at"):
        validate_plan(plan("p", starts_at=AT, ends_at=AT - timedelta(days=1)))


def test_an_open_ended_window_on_either_side_is_valid() -> None:
    validate_plan(plan("p", starts_at=AT))
    validate_plan(plan("p", ends_at=AT))


def test_a_window_bound_without_a_timezone_is_rejected() -> None:
    with pytest.raises(InvalidPlan, match="timezone-aware"):
        validate_plan(plan("p", starts_at=datetime(2025, 1, 1)))


def test_a_plan_needs_an_id_and_a_shop() -> None:
    with pytest.raises(InvalidPlan, match="plan_id"):
        validate_plan(Plan("", "shop-1", "shop", 500))
    with pytest.raises(InvalidPlan, match="shop_id"):
        validate_plan(Plan("p", "", "shop", 500))


def test_every_rejection_gives_a_human_reason() -> None:
    with pytest.raises(InvalidPlan) as caught:
        validate_plan(plan("p", rate_bps=99))
    assert caught.value.reason == "rate_bps must be between 100 and 8000 bps, got 99"
