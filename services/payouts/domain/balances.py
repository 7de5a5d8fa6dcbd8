"""Payees' available balances and the payout-run decision, pure.

A payee is one (party_type, party_id, currency); only merchants, creators and agencies are paid
by this service (platform and tax legs stay with the ledger). Available balances are minor units
and may be negative after a clawback; a negative balance is netted against later releases.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from services.payouts.domain.holds import PartyAmount

PAYEE_PARTY_TYPES: Final = frozenset({"merchant", "creator", "agency"})


@dataclass(frozen=True, slots=True, order=True)
class Payee:
    party_type: str
    party_id: str
    currency: str


@dataclass(frozen=True, slots=True)
class PayeeBalance:
    """`available` may be negative; `min_payout` is the region minimum in the same minor unit."""

    payee: Payee
    available: int
    min_payout: int


@dataclass(frozen=True, slots=True)
class PayoutDecision:
    payee: Payee
    amount: int


def is_payable(balance: PayeeBalance) -> bool:
    """Positive and at least the minimum: a payee below either is not paid this run."""
    return balance.available > 0 and balance.available >= balance.min_payout


def decide_payouts(balances: Iterable[PayeeBalance]) -> list[PayoutDecision]:
    """Pay every payable payee ALL of its available balance, in payee order."""
    return [
        PayoutDecision(balance.payee, balance.available)
        for balance in sorted(balances, key=lambda b: b.payee)
        if is_payable(balance)
    ]


def balance_changes(currency: str, legs: Sequence[PartyAmount], *, sign: int) -> dict[Payee, int]:
    """Per-payee change of available balance for legs released (`sign=+1`) or clawed back
    (`sign=-1`); non-payee legs (platform, tax) and zero legs are left out."""
    if sign not in (1, -1):
        raise ValueError("sign is +1 (released) or -1 (clawed back)")
    changes: dict[Payee, int] = {}
    for leg in legs:
        if leg.party_type in PAYEE_PARTY_TYPES and leg.amount:
            payee = Payee(leg.party_type, leg.party_id, currency)
            changes[payee] = changes.get(payee, 0) + sign * leg.amount
    return changes
