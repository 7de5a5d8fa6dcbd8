import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.money import (
    CURRENCY_EXPONENTS,
    UnknownCurrencyError,
    allocate,
    apply_bps,
    exponent,
    is_int,
)

fast = settings(max_examples=300, deadline=None)
amounts = st.integers(min_value=-(10**15), max_value=10**15)
weights_lists = st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=8).filter(
    lambda ws: sum(ws) > 0
)


def test_region_currencies_have_their_iso_4217_exponents() -> None:
    for currency in ("GBP", "USD", "CNY", "IDR", "MYR", "THB", "PHP", "SGD"):
        assert exponent(currency) == 2
    assert exponent("VND") == 0
    assert set(CURRENCY_EXPONENTS) == {
        "GBP",
        "USD",
        "CNY",
        "IDR",
        "MYR",
        "THB",
        "PHP",
        "SGD",
        "VND",
    }


@pytest.mark.parametrize("code", ["EUR", "gbp", "", "XXX"])
def test_an_unknown_currency_is_a_typed_value_error(code: str) -> None:
    with pytest.raises(UnknownCurrencyError) as raised:
        exponent(code)
    assert isinstance(raised.value, ValueError)
    assert raised.value.currency == code


@fast
@given(amount=amounts, bps=st.integers(min_value=-20_000, max_value=20_000))
def test_apply_bps_rounds_the_exact_rational_value_half_up(amount: int, bps: int) -> None:
    exact = Fraction(amount * bps, 10_000)
    result = apply_bps(amount, bps)
    assert result == math.floor(exact + Fraction(1, 2))
    assert -Fraction(1, 2) < result - exact <= Fraction(1, 2)


def test_apply_bps_rounds_halves_toward_positive_infinity_for_negative_amounts() -> None:
    assert apply_bps(1, 5000) == 1
    assert apply_bps(-1, 5000) == 0
    assert apply_bps(-3, 5000) == -1
    assert apply_bps(3, 5000) == 2


def test_apply_bps_matches_the_worked_example() -> None:
    assert apply_bps(3000, 2000) == 600
    assert apply_bps(900, 500) == 45
    assert apply_bps(3900, 900) == 351
    assert apply_bps(645, 2000) == 129


@pytest.mark.parametrize(("amount", "bps"), [(1.0, 100), (100, 1.5), (True, 100), (100, False)])
def test_apply_bps_rejects_anything_but_ints(amount: object, bps: object) -> None:
    with pytest.raises(TypeError):
        apply_bps(amount, bps)  # type: ignore[arg-type]


def test_bools_and_floats_are_not_ints() -> None:
    assert is_int(3)
    assert not is_int(True)
    assert not is_int(3.0)


@fast
@given(total=amounts, weights=weights_lists)
def test_allocation_never_loses_a_minor_unit(total: int, weights: list[int]) -> None:
    assert sum(allocate(total, weights)) == total


@fast
@given(total=amounts, weights=weights_lists)
def test_each_share_is_within_one_of_its_exact_proportion(total: int, weights: list[int]) -> None:
    shares = allocate(total, weights)
    for share, weight in zip(shares, weights, strict=True):
        exact = Fraction(total * weight, sum(weights))
        assert math.floor(exact) <= share <= math.ceil(exact)


@fast
@given(total=amounts, weights=weights_lists)
def test_zero_weights_get_zero(total: int, weights: list[int]) -> None:
    for share, weight in zip(allocate(total, weights), weights, strict=True):
        if weight == 0:
            assert share == 0


@fast
@given(
    total=st.integers(min_value=0, max_value=10**9),
    weights=st.lists(st.integers(min_value=-(10**6), max_value=10**6), min_size=1, max_size=6),
)
def test_a_negative_weight_is_allocated_within_one_of_its_proportion(
    total: int, weights: list[int]
) -> None:
    if sum(weights) <= 0:
        return
    shares = allocate(total, weights)
    assert sum(shares) == total
    for share, weight in zip(shares, weights, strict=True):
        exact = Fraction(total * weight, sum(weights))
        assert math.floor(exact) <= share <= math.ceil(exact)


def test_ties_go_to_the_lower_index() -> None:
    assert allocate(1, [1, 1, 1]) == [1, 0, 0]
    assert allocate(2, [1, 1, 1]) == [1, 1, 0]
    assert allocate(-1, [1, 1]) == [-1, 0]


def test_a_whole_proportion_is_allocated_exactly() -> None:
    assert allocate(4299, [3303, 516, 129, 351, 0, 0]) == [3303, 516, 129, 351, 0, 0]


def test_nothing_over_zero_weights_is_all_zeros() -> None:
    assert allocate(0, [0, 0]) == [0, 0]
    assert allocate(0, []) == []


@pytest.mark.parametrize(
    ("total", "weights"), [(1, [0, 0]), (1, []), (5, [1, -1]), (5, [-3, 1]), (0, [2, -2])]
)
def test_allocating_over_weights_without_a_positive_sum_is_refused(
    total: int, weights: list[int]
) -> None:
    with pytest.raises(ValueError, match="weights"):
        allocate(total, weights)


@pytest.mark.parametrize(("total", "weights"), [(1.0, [1]), (1, [1.0]), (True, [1]), (1, [True])])
def test_allocate_rejects_anything_but_ints(total: object, weights: list[object]) -> None:
    with pytest.raises(TypeError):
        allocate(total, weights)  # type: ignore[arg-type]
