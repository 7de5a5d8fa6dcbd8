"""allocate_monotone: exact sum, quota and monotonicity, checked against exact fractions."""

import random
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.apportionment import allocate_monotone
from shared.money import allocate


def assert_quota(amount: int, weights: list[int], shares: tuple[int, ...]) -> None:
    total = sum(weights)
    assert sum(shares) == amount
    for weight, share in zip(weights, shares, strict=True):
        exact = Fraction(weight * amount, total)
        assert exact - 1 < share < exact + 1, (weights, amount, shares)


def assert_whole_path(weights: list[int]) -> None:
    """Every amount from 0 to the total: quota at each, and no share ever moves backwards."""
    previous = (0,) * len(weights)
    for amount in range(sum(weights) + 1):
        shares = allocate_monotone(amount, weights)
        assert_quota(amount, weights, shares)
        assert all(a >= b for a, b in zip(shares, previous, strict=True)), (weights, amount)
        previous = shares
    assert list(previous) == weights


def test_every_amount_of_many_small_weight_vectors_is_quota_and_monotone() -> None:
    rng = random.Random(20261125)
    for _ in range(60):
        weights = [
            rng.choice([0, 1, 2, 3, rng.randint(1, 40), rng.randint(1, 150)])
            for _ in range(rng.randint(1, 7))
        ]
        if sum(weights):
            assert_whole_path(weights)


@pytest.mark.parametrize(
    "weights",
    [
        [3, 3, 1],  # paid 7: merchant 3, creator 3, agency 1 (the Alabama case of issue 10)
        [29, 0, 15, 3, 0, 1, 3],
        [279, 323, 2, 15, 2, 37],
        [1, 1, 1, 1, 1, 1, 1],
        [100, 1, 1, 1, 1, 1, 1],
    ],
)
def test_known_hard_weight_vectors_hold_at_every_amount(weights: list[int]) -> None:
    assert_whole_path(weights)


def test_largest_remainder_moves_a_share_backwards_where_the_monotone_one_does_not() -> None:
    weights = [3, 3, 1]
    assert allocate(3, weights)[2] == 1 and allocate(4, weights)[2] == 0  # the Alabama paradox
    assert [allocate_monotone(h, weights)[2] for h in range(8)] == sorted(
        allocate_monotone(h, weights)[2] for h in range(8)
    )


ADVERSARIAL = [
    [79, 7861, 4970, 913566197590, 75455691, 68096263, 6041603929],
    [48889549, 389096057701, 58428, 97, 749891, 87881072595, 33541248],
    [9, 7775149591, 332091, 5190, 607284, 6476, 1121],
    [5581415, 8052555, 607352330096, 477617729, 1, 456511, 469016012364],
    [10**13 - 3, 1, 1, 1],
]


@pytest.mark.parametrize("weights", ADVERSARIAL)
def test_large_and_lopsided_weights_keep_quota_and_order_at_sampled_amounts(
    weights: list[int],
) -> None:
    rng = random.Random(7)
    total = sum(weights)
    amounts = sorted({0, 1, total - 1, total, *(rng.randint(0, total) for _ in range(40))})
    previous = (0,) * len(weights)
    for amount in amounts:
        shares = allocate_monotone(amount, weights)
        assert_quota(amount, weights, shares)
        assert all(a >= b for a, b in zip(shares, previous, strict=True))
        previous = shares
    assert list(previous) == weights


weight_vectors = st.lists(
    st.one_of(st.integers(0, 10), st.integers(0, 10**6), st.integers(0, 10**13)),
    min_size=1,
    max_size=7,
).filter(lambda weights: sum(weights) > 0)


@settings(max_examples=300, deadline=None)
@given(weight_vectors, st.data())
def test_two_amounts_of_any_weights_are_each_quota_and_ordered(
    weights: list[int], data: st.DataObject
) -> None:
    total = sum(weights)
    low = data.draw(st.integers(0, total))
    high = data.draw(st.integers(low, total))
    low_shares, high_shares = allocate_monotone(low, weights), allocate_monotone(high, weights)
    assert_quota(low, weights, low_shares)
    assert_quota(high, weights, high_shares)
    assert all(a <= b for a, b in zip(low_shares, high_shares, strict=True))
    assert allocate_monotone(total, weights) == tuple(weights)


@pytest.mark.parametrize(
    ("amount", "weights", "error"),
    [
        (-1, [1, 2], ValueError),
        (4, [1, 2], ValueError),
        (1, [0, 0], ValueError),
        (1, [1, -1, 2], ValueError),
        (1.0, [1, 2], TypeError),
        (True, [1, 2], TypeError),
    ],
)
def test_amounts_outside_the_total_and_bad_weights_are_refused(
    amount: object, weights: list[int], error: type[Exception]
) -> None:
    with pytest.raises(error):
        allocate_monotone(amount, weights)  # type: ignore[arg-type]
