from services.payouts.domain.balances import (
    Payee,
    PayeeBalance,
    PayoutDecision,
    balance_changes,
    decide_payouts,
    is_payable,
)
from services.payouts.domain.holds import PartyAmount

CREATOR = Payee("creator", "c-1", "GBP")
MERCHANT = Payee("merchant", "shop-1", "GBP")


def test_a_payee_at_the_minimum_is_paid_all_of_its_balance() -> None:
    assert decide_payouts([PayeeBalance(CREATOR, 1_000, 1_000)]) == [PayoutDecision(CREATOR, 1_000)]
    assert decide_payouts([PayeeBalance(CREATOR, 98_765, 1_000)]) == [
        PayoutDecision(CREATOR, 98_765)
    ]


def test_a_payee_below_the_minimum_is_not_paid() -> None:
    assert decide_payouts([PayeeBalance(CREATOR, 999, 1_000)]) == []


def test_a_negative_balance_is_never_paid_even_with_no_minimum() -> None:
    assert not is_payable(PayeeBalance(CREATOR, -50, 0))
    assert not is_payable(PayeeBalance(CREATOR, 0, 0))
    assert is_payable(PayeeBalance(CREATOR, 1, 0))


def test_only_payable_payees_are_paid_in_payee_order() -> None:
    decisions = decide_payouts(
        [
            PayeeBalance(MERCHANT, 5_000, 1_000),
            PayeeBalance(CREATOR, 2_000, 1_000),
            PayeeBalance(Payee("agency", "a-1", "GBP"), 10, 1_000),
        ]
    )
    assert decisions == [PayoutDecision(CREATOR, 2_000), PayoutDecision(MERCHANT, 5_000)]


def test_released_legs_credit_payees_and_leave_platform_and_tax_out() -> None:
    legs = [
        PartyAmount("merchant", "shop-1", 3303),
        PartyAmount("creator", "c-1", 516),
        PartyAmount("platform", "UK", 351),
        PartyAmount("tax", "VN", 12),
        PartyAmount("agency", "a-1", 0),
    ]
    assert balance_changes("GBP", legs, sign=1) == {MERCHANT: 3303, CREATOR: 516}


def test_a_clawback_debits_payees() -> None:
    legs = [PartyAmount("creator", "c-1", 40)]
    assert balance_changes("GBP", legs, sign=-1) == {CREATOR: -40}
