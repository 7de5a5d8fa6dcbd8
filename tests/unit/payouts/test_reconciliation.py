"""Comparing the payouts service's view with the ledger's balances and the provider's records."""

from __future__ import annotations

import pytest

from services.payouts.domain.balances import PAYEE_PARTY_TYPES
from services.payouts.domain.reconciliation import (
    BalanceDifference,
    Figures,
    PartyCurrency,
    PayoutDifference,
    PayoutState,
    ProviderStatus,
    compare_balances,
    compare_payouts,
    persistent,
    provider_agrees,
)

CREATOR = PartyCurrency("creator", "c-1", "GBP")
MERCHANT = PartyCurrency("merchant", "shop-1", "GBP")
PLATFORM = PartyCurrency("platform", "UK", "GBP")


def compare(
    pending: dict[PartyCurrency, int],
    available: dict[PartyCurrency, int],
    ledger: dict[PartyCurrency, Figures],
) -> list[BalanceDifference]:
    return compare_balances(pending, available, ledger, payee_types=PAYEE_PARTY_TYPES)


def test_views_that_agree_have_no_differences() -> None:
    ledger = {CREATOR: Figures(516, 1_200), MERCHANT: Figures(0, 3_303), PLATFORM: Figures(351, 0)}
    pending = {CREATOR: 516, PLATFORM: 351}
    available = {CREATOR: 1_200, MERCHANT: 3_303}
    assert compare(pending, available, ledger) == []


def test_a_pending_amount_off_by_one_unit_is_reported_with_both_figures() -> None:
    (difference,) = compare({CREATOR: 516}, {CREATOR: 0}, {CREATOR: Figures(515, 0)})
    assert difference.account == CREATOR
    assert difference.payouts == Figures(516, 0)
    assert difference.ledger == Figures(515, 0)
    assert difference.fields == ("pending",)


def test_an_available_difference_of_a_payee_is_reported() -> None:
    (difference,) = compare({}, {MERCHANT: 3_310}, {MERCHANT: Figures(0, 3_303)})
    assert (difference.payouts, difference.ledger) == (Figures(0, 3_310), Figures(0, 3_303))
    assert difference.fields == ("available",)


def test_both_figures_may_differ_at_once() -> None:
    (difference,) = compare({CREATOR: 10}, {CREATOR: -5}, {CREATOR: Figures(0, 5)})
    assert difference.fields == ("pending", "available")


def test_a_party_only_one_side_knows_is_compared_with_zero() -> None:
    ghost = PartyCurrency("creator", "ghost", "GBP")
    differences = compare({}, {ghost: 123}, {CREATOR: Figures(40, 0)})
    assert [(d.account, d.payouts, d.ledger) for d in differences] == [
        (CREATOR, Figures(0, 0), Figures(40, 0)),
        (ghost, Figures(0, 123), Figures(0, 0)),
    ]


def test_zero_on_one_side_and_nothing_on_the_other_agree() -> None:
    assert compare({CREATOR: 0}, {MERCHANT: 0}, {PLATFORM: Figures(0, 0)}) == []


def test_the_platforms_available_is_the_ledgers_alone_but_its_pending_is_compared() -> None:
    assert compare({PLATFORM: 351}, {}, {PLATFORM: Figures(351, 90_000)}) == []
    (difference,) = compare({PLATFORM: 350}, {}, {PLATFORM: Figures(351, 90_000)})
    assert difference.payouts == Figures(350, None)
    assert difference.fields == ("pending",)


def test_differences_come_in_account_order() -> None:
    ledger = {PLATFORM: Figures(1, 0), CREATOR: Figures(1, 0), MERCHANT: Figures(1, 0)}
    assert [d.account.party_type for d in compare({}, {}, ledger)] == [
        "creator",
        "merchant",
        "platform",
    ]


@pytest.mark.parametrize(
    ("ours", "provider", "agrees"),
    [
        ("paid", "paid", True),
        ("paid", "unknown", False),  # we think it is paid, the bank never heard of it
        ("paid", "refused", False),
        ("paid", "pending", False),
        ("failed", "refused", True),
        ("failed", "unknown", True),  # an error before the bank received it
        ("failed", "paid", False),  # the money left although we returned it to available
        ("failed", "pending", False),
        ("created", "unknown", True),  # not sent yet
        ("created", "pending", True),
        # Not settled here: in flight until the retry records the bank's answer.
        ("created", "paid", True),  # the bank paid, then did not answer; the retry settles it
        ("created", "refused", True),
    ],
)
def test_a_payout_agrees_only_with_the_provider_status_it_implies(
    ours: str, provider: ProviderStatus, agrees: bool
) -> None:
    assert provider_agrees(ours, provider) is agrees


def payout(payout_id: str, status: str) -> PayoutState:
    return PayoutState(payout_id, "creator", "c-1", "GBP", 1_500, status)


def test_payouts_the_provider_disagrees_with_are_listed_in_payout_id_order() -> None:
    ours = [payout("p-3", "paid"), payout("p-1", "failed"), payout("p-2", "paid")]
    differences = compare_payouts(ours, {"p-1": "paid", "p-2": "paid"})
    assert differences == [
        PayoutDifference(payout("p-1", "failed"), "paid"),
        PayoutDifference(payout("p-3", "paid"), "unknown"),
    ]


def test_a_difference_counts_as_persistent_only_with_the_same_figures_twice() -> None:
    still = BalanceDifference(CREATOR, Figures(516, 0), Figures(515, 0))
    moving_before = BalanceDifference(PLATFORM, Figures(351, None), Figures(702, 0))
    moving_after = BalanceDifference(PLATFORM, Figures(702, None), Figures(1_053, 0))
    gone = BalanceDifference(MERCHANT, Figures(0, 10), Figures(0, 0))
    assert persistent([still, moving_before, gone], [still, moving_after]) == [still]
