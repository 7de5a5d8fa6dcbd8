import dataclasses
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.ledger.domain.errors import (
    InvalidRefundError,
    InvalidSplitError,
    RefundExceedsPaidTotalError,
)
from services.ledger.domain.order import Agency, OrderLine, PlacedOrder, SplitTerms
from services.ledger.domain.reversal import (
    cumulative_reversal,
    remaining_legs,
    reverse_cancellation,
    reverse_refund,
)
from services.ledger.domain.split import LEG_NAMES, RULE_VERSION, Legs, Split, compute_split
from shared.money import CURRENCY_EXPONENTS
from shared.regions import DEFAULT_REGIONS, region_terms

fast = settings(max_examples=150, deadline=None)


def worked_example() -> PlacedOrder:
    return PlacedOrder(
        order_id="order-1",
        shop_id="shop-1",
        currency="GBP",
        lines=(
            OrderLine("A", quantity=2, unit_price=1500, discount=0, rate_bps=2000, plan_id="tgt"),
            OrderLine("B", quantity=1, unit_price=1000, discount=100, rate_bps=500, plan_id="shop"),
        ),
        shipping_fee=399,
        terms=SplitTerms.from_region(region_terms("UK")),
        creator_id="creator-x",
        agency=Agency("mcn-1", share_bps=2000),
    )


def half_up(amount: int, bps: int) -> int:
    return math.floor(Fraction(amount * bps, 10_000) + Fraction(1, 2))


@st.composite
def order_lines(draw: st.DrawFn) -> OrderLine:
    quantity = draw(st.integers(min_value=1, max_value=50))
    unit_price = draw(st.integers(min_value=0, max_value=10**8))
    return OrderLine(
        sku=draw(st.sampled_from(["A", "B", "C", "D"])),
        quantity=quantity,
        unit_price=unit_price,
        discount=draw(st.integers(min_value=0, max_value=quantity * unit_price)),
        rate_bps=draw(st.one_of(st.just(0), st.integers(100, 8000), st.integers(0, 10_000))),
        plan_id=draw(st.one_of(st.none(), st.sampled_from(["plan-shop", "plan-open", "plan-t"]))),
    )


@st.composite
def placed_orders(draw: st.DrawFn) -> PlacedOrder:
    if draw(st.booleans()):
        region = draw(st.sampled_from(sorted(DEFAULT_REGIONS.values(), key=lambda r: r.code)))
        currency, terms = region.currency, SplitTerms.from_region(region)
    else:
        currency = draw(st.sampled_from(sorted(CURRENCY_EXPONENTS)))
        bps = st.integers(min_value=0, max_value=10_000)
        terms = SplitTerms(draw(bps), draw(bps), draw(bps))
    creator_id = draw(st.one_of(st.none(), st.just("creator-1")))
    agency = draw(st.one_of(st.none(), st.builds(Agency, st.just("mcn-1"), st.integers(0, 10_000))))
    return PlacedOrder(
        order_id="order-1",
        shop_id="shop-1",
        currency=currency,
        lines=tuple(draw(st.lists(order_lines(), min_size=1, max_size=6))),
        shipping_fee=draw(st.integers(min_value=0, max_value=10**6)),
        terms=terms,
        creator_id=creator_id,
        agency=agency,
    )


@st.composite
def splits_with_refunds(draw: st.DrawFn) -> tuple[Split, list[int]]:
    """A split and a strictly increasing sequence of cumulative refunds (no 0, none > total)."""
    split = compute_split(draw(placed_orders()))
    if split.paid_total == 0:
        return split, []
    cut_points = draw(
        st.lists(st.integers(min_value=1, max_value=split.paid_total), max_size=8, unique=True)
    )
    cumulative = sorted(cut_points)
    if draw(st.booleans()) and (not cumulative or cumulative[-1] != split.paid_total):
        cumulative.append(split.paid_total)
    return split, cumulative


def test_the_worked_example_gives_its_numbers() -> None:
    split = compute_split(worked_example())
    assert split.commission == 645
    assert split.platform_fee == 351
    assert split.agency_share == 129
    assert split.creator_net == 516
    assert split.tax == 0
    assert split.platform_cut == 0
    assert split.merchant_net == 3303
    assert split.paid_total == 4299
    assert split.legs.total == 4299


def test_every_amount_says_which_plan_rate_and_rule_produced_it() -> None:
    split = compute_split(worked_example())
    assert [(c.sku, c.base, c.rate_bps, c.plan_id, c.commission) for c in split.lines] == [
        ("A", 3000, 2000, "tgt", 600),
        ("B", 900, 500, "shop", 45),
    ]
    assert split.rule_version == RULE_VERSION == "split-2026-11.v2"
    assert split.terms == SplitTerms(platform_fee_bps=900, platform_cut_bps=0, creator_tax_bps=0)
    assert (split.agency_id, split.agency_share_bps, split.creator_id) == (
        "mcn-1",
        2000,
        "creator-x",
    )


def test_vietnam_withholds_creator_tax_in_whole_dong() -> None:
    order = PlacedOrder(
        order_id="vn-1",
        shop_id="shop-vn",
        currency="VND",
        lines=(OrderLine("A", 1, 1_000_000, 0, 1000, "plan-shop"),),
        shipping_fee=30_000,
        terms=SplitTerms.from_region(region_terms("VN")),
        creator_id="creator-1",
        agency=Agency("mcn-1", 2000),
    )
    split = compute_split(order)
    assert split.commission == 100_000
    assert split.platform_fee == 40_000
    assert split.agency_share == 20_000
    assert split.creator_gross == 80_000
    assert split.tax == 8_000
    assert split.creator_net == 72_000
    assert split.merchant_net == 890_000
    assert split.legs.total == split.paid_total == 1_030_000


def test_china_takes_a_platform_cut_of_the_commission_before_the_agency_share() -> None:
    order = PlacedOrder(
        order_id="cn-1",
        shop_id="shop-cn",
        currency="CNY",
        lines=(OrderLine("A", 2, 9999, 0, 1500, "plan-shop"),),
        shipping_fee=0,
        terms=SplitTerms.from_region(region_terms("CN")),
        creator_id="creator-1",
        agency=Agency("mcn-1", 3000),
    )
    split = compute_split(order)
    assert (split.commission, split.platform_fee, split.platform_cut) == (3000, 1000, 300)
    assert (split.agency_share, split.creator_net, split.tax) == (810, 1890, 0)
    assert split.merchant_net == 15_998
    assert split.legs.total == split.paid_total == 19_998


def test_without_a_creator_everything_but_the_platform_fee_goes_to_the_merchant() -> None:
    order = dataclasses.replace(worked_example(), creator_id=None)
    split = compute_split(order)
    assert split.commission == 0
    assert all(line.rate_bps == 0 and line.plan_id is None for line in split.lines)
    assert (split.creator_net, split.agency_share, split.platform_cut, split.tax) == (0, 0, 0, 0)
    assert split.merchant_net == 4299 - 351


def test_without_an_agency_the_creator_keeps_the_whole_commission() -> None:
    split = compute_split(dataclasses.replace(worked_example(), agency=None))
    assert (split.agency_share, split.agency_id, split.agency_share_bps) == (0, None, 0)
    assert split.creator_net == 645


@fast
@given(order=placed_orders())
def test_legs_are_ints_that_sum_exactly_to_the_paid_total(order: PlacedOrder) -> None:
    split = compute_split(order)
    amounts = split.legs.amounts()
    assert all(type(amount) is int for amount in amounts)
    assert sum(amounts) == split.paid_total == order.paid_total
    assert split.paid_total == sum(line.base for line in order.lines) + order.shipping_fee


@fast
@given(order=placed_orders())
def test_each_leg_follows_the_rounding_rule(order: PlacedOrder) -> None:
    split = compute_split(order)
    terms = order.terms
    if order.creator_id is None:
        assert split.commission == 0
    else:
        lines_commission = sum(half_up(ln.base, ln.rate_bps) for ln in order.lines)
        # Capped so the merchant's leg is never negative (the shortfall is recorded).
        cap = split.paid_total - split.platform_fee
        assert split.commission == min(lines_commission, cap)
        assert split.commission_shortfall == lines_commission - split.commission
    assert split.platform_fee == half_up(split.commissionable_base, terms.platform_fee_bps)
    assert split.platform_cut == half_up(split.commission, terms.platform_cut_bps)
    share_bps = order.agency.share_bps if order.agency else 0
    assert split.agency_share == half_up(split.commission - split.platform_cut, share_bps)
    assert split.tax == half_up(split.creator_gross, terms.creator_tax_bps)
    for leg in (
        "merchant_net",
        "creator_net",
        "agency_share",
        "platform_fee",
        "platform_cut",
        "tax",
    ):
        assert getattr(split, leg) >= 0


@fast
@given(case=splits_with_refunds())
def test_each_refund_reverses_exactly_its_amount_and_keeps_every_leg_in_proportion(
    case: tuple[Split, list[int]],
) -> None:
    split, cumulative_refunds = case
    reversed_so_far = [0] * len(LEG_NAMES)
    before = 0
    for after in cumulative_refunds:
        reversal = reverse_refund(split, before, after)
        assert reversal.legs.total == reversal.amount == after - before
        reversed_so_far = [
            a + b for a, b in zip(reversed_so_far, reversal.legs.amounts(), strict=True)
        ]
        for leg, reversed_leg in zip(split.legs.amounts(), reversed_so_far, strict=True):
            exact = Fraction(leg * after, split.paid_total)
            assert abs(reversed_leg - exact) < 1
        before = after
    if before == split.paid_total:
        assert tuple(reversed_so_far) == split.legs.amounts()


@fast
@given(case=splits_with_refunds())
def test_a_refund_never_moves_a_leg_the_wrong_way(case: tuple[Split, list[int]]) -> None:
    split, cumulative_refunds = case
    before = 0
    for after in cumulative_refunds:
        assert min(reverse_refund(split, before, after).legs.amounts()) >= 0
        before = after


@fast
@given(case=splits_with_refunds())
def test_cancellation_reverses_whatever_is_left(case: tuple[Split, list[int]]) -> None:
    split, cumulative_refunds = case
    before = cumulative_refunds[-1] if cumulative_refunds else 0
    cancellation = reverse_cancellation(split, before)
    assert cancellation.legs == remaining_legs(split, before)
    assert cancellation.amount == split.paid_total - before
    assert cumulative_reversal(split, before) + cancellation.legs == split.legs


@fast
@given(case=splits_with_refunds())
def test_reversals_depend_only_on_the_cumulative_bounds_so_replay_is_deterministic(
    case: tuple[Split, list[int]],
) -> None:
    split, cumulative_refunds = case
    stepwise = Legs(0, 0, 0, 0, 0, 0)
    before = 0
    for after in cumulative_refunds:
        stepwise += reverse_refund(split, before, after).legs
        before = after
    assert stepwise == reverse_refund(split, 0, before).legs == cumulative_reversal(split, before)


def test_rounding_that_would_leave_the_merchant_owing_takes_the_shortfall_from_commission() -> None:
    order = PlacedOrder(
        order_id="tiny-1",
        shop_id="shop-1",
        currency="GBP",
        lines=tuple(OrderLine(f"S{i}", 1, 1, 0, 5000, "plan-open") for i in range(6)),
        shipping_fee=0,
        terms=SplitTerms.from_region(region_terms("UK")),
        creator_id="creator-1",
    )
    split = compute_split(order)
    assert sum(line.commission for line in split.lines) == 6
    assert (split.commission, split.platform_fee, split.merchant_net) == (5, 1, 0)
    assert split.commission_shortfall == 1
    assert min(split.legs.amounts()) >= 0
    assert split.legs.total == split.paid_total == 6
    halfway = reverse_refund(split, 0, 3)
    assert halfway.legs.total == 3
    assert halfway.legs + reverse_cancellation(split, 3).legs == split.legs


def test_a_full_refund_of_the_worked_example_reverses_every_leg_exactly() -> None:
    split = compute_split(worked_example())
    assert reverse_refund(split, 0, 4299).legs == split.legs
    assert reverse_cancellation(split, 4299).legs == Legs(0, 0, 0, 0, 0, 0)


def test_refunds_beyond_the_paid_total_are_refused() -> None:
    split = compute_split(worked_example())
    with pytest.raises(RefundExceedsPaidTotalError) as raised:
        reverse_refund(split, 4000, 4300)
    assert (raised.value.paid_total, raised.value.refunded_cumulative) == (4299, 4300)


@pytest.mark.parametrize(("before", "after"), [(-1, 10), (100, 99), (0, 10.0), (True, 10)])
def test_nonsense_refund_bounds_are_refused(before: object, after: object) -> None:
    with pytest.raises(InvalidRefundError):
        reverse_refund(compute_split(worked_example()), before, after)  # type: ignore[arg-type]


def test_a_split_whose_legs_do_not_balance_cannot_be_built() -> None:
    split = compute_split(worked_example())
    with pytest.raises(InvalidSplitError):
        dataclasses.replace(split, merchant_net=split.merchant_net + 1)
