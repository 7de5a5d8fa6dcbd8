"""Reconciliation, pure: where this service's view of the money differs from the ledger's, and
where a payout's status differs from the provider's.

This service's view of a party in a currency is the pending amount held for it in holds the
ledger has not released yet, and (payees only) its available balance. The ledger's figures are
its `pending` and `available` sub-account balances. Platform and tax have no available balance
here (this service never pays them), so only their pending is compared. Every amount is an
integer count of the currency's minor unit.
"""

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal, TypeVar

Figure = Literal["pending", "available"]
ProviderStatus = Literal["paid", "refused", "pending", "unknown"]
"""What the provider says of a payout: `unknown` when it never received it."""

T = TypeVar("T")

# A payout not settled here is in flight whatever the provider says: it was not answered
# definitely (or not asked yet), and is retried with the same id until its answer is recorded
# here; its amount is out of available on both sides meanwhile. One stuck there shows in the
# `payouts_oldest_pending_age_seconds` gauge, not here.
_IN_FLIGHT: Final[frozenset[ProviderStatus]] = frozenset({"pending", "unknown", "paid", "refused"})
_EXPECTED_PROVIDER_STATUS: Final[Mapping[str, frozenset[ProviderStatus]]] = {
    "paid": frozenset({"paid"}),
    # A failure is a refusal, or an error before the provider received the payout.
    "failed": frozenset({"refused", "unknown"}),
}


@dataclass(frozen=True, slots=True, order=True)
class PartyCurrency:
    party_type: str
    party_id: str
    currency: str


@dataclass(frozen=True, slots=True)
class Figures:
    """One side's pending and available; `available` is None where that side does not track it."""

    pending: int
    available: int | None


@dataclass(frozen=True, slots=True)
class BalanceDifference:
    account: PartyCurrency
    payouts: Figures
    ledger: Figures

    @property
    def fields(self) -> tuple[Figure, ...]:
        """The figures that differ: `pending`, `available` or both."""
        differing: list[Figure] = []
        if self.payouts.pending != self.ledger.pending:
            differing.append("pending")
        if self.payouts.available is not None and self.payouts.available != self.ledger.available:
            differing.append("available")
        return tuple(differing)


@dataclass(frozen=True, slots=True)
class PayoutState:
    """A payout as this service has it; `status` is `created` while it is not settled."""

    payout_id: str
    party_type: str
    party_id: str
    currency: str
    amount: int
    status: str


@dataclass(frozen=True, slots=True)
class PayoutDifference:
    payout: PayoutState
    provider_status: ProviderStatus


def compare_balances(
    pending: Mapping[PartyCurrency, int],
    available: Mapping[PartyCurrency, int],
    ledger: Mapping[PartyCurrency, Figures],
    *,
    payee_types: Collection[str],
) -> list[BalanceDifference]:
    """Every party and currency whose figures differ, in account order.

    A figure missing on either side is 0 (no hold, no balance row, no posting). The available
    balance is compared only for `payee_types`; for the others this side's `available` is None.
    """
    differences = []
    for account in sorted(pending.keys() | available.keys() | ledger.keys()):
        theirs = ledger.get(account, Figures(0, 0))
        ours = Figures(
            pending.get(account, 0),
            available.get(account, 0) if account.party_type in payee_types else None,
        )
        difference = BalanceDifference(account, ours, Figures(theirs.pending, theirs.available))
        if difference.fields:
            differences.append(difference)
    return differences


def provider_agrees(status: str, provider_status: ProviderStatus) -> bool:
    """`paid` needs the provider's `paid`; `failed` a refusal or a payout it never received; any
    other status (not settled here yet, retried until the provider's answer is recorded) agrees
    with whatever the provider has."""
    return provider_status in _EXPECTED_PROVIDER_STATUS.get(status, _IN_FLIGHT)


def compare_payouts(
    payouts: Iterable[PayoutState], provider: Mapping[str, ProviderStatus]
) -> list[PayoutDifference]:
    """Payouts whose provider status disagrees with ours (a payout absent from `provider` is
    `unknown` there), in payout id order."""
    differences = [
        PayoutDifference(payout, provider.get(payout.payout_id, "unknown"))
        for payout in payouts
        if not provider_agrees(payout.status, provider.get(payout.payout_id, "unknown"))
    ]
    return sorted(differences, key=lambda d: d.payout.payout_id)


def persistent(first: Iterable[T], second: Iterable[T]) -> list[T]:
    """The differences of `second` that `first` had too, with the very same figures: one still
    moving between two looks is an event in flight between the services, not a drift."""
    earlier = set(first)
    return [difference for difference in second if difference in earlier]
