"""Journal entries: balanced sets of postings with the provenance of every amount.

An entry comes from exactly one consumed event (``event_id``) and its id is derived from it, so a
replay of the same events writes the same entries. Amounts are signed integer minor units: a
positive posting raises the account's balance (money owed to the party), a negative one lowers it.
"""

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.ledger.domain.accounts import AccountKey
from services.ledger.domain.errors import LedgerDomainError
from services.ledger.domain.ids import uuid5_text

_ENTRY_NAMESPACE = uuid.UUID("6f1b1c52-3f0e-4c4e-9d55-2b8f0d6a7e11")


class UnbalancedEntryError(LedgerDomainError):
    """An entry whose postings do not sum to zero, mix currencies, or are fewer than two."""


@dataclass(frozen=True, slots=True)
class Posting:
    """One signed amount (minor units of ``account.currency``) on one account.

    ``leg`` names the split leg it belongs to (``merchant_net``, ``platform_fee``, ``clearing``,
    ``payout``...); ``plan_id`` and ``rate_bps`` are the plan and rate that produced it, when one
    rate did.
    """

    account: AccountKey
    amount: int
    leg: str
    plan_id: str | None = None
    rate_bps: int | None = None


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A balanced movement of money caused by one event; immutable once written.

    Invariant (checked on construction): at least two non-zero postings, all in one currency,
    summing to zero.
    """

    event_id: str
    order_id: str | None
    kind: str
    occurred_at: datetime
    rule_version: str
    postings: tuple[Posting, ...]
    details: Mapping[str, Any]
    shop_id: str | None = None
    """The order's shop (an order is ``(shop_id, order_id)``); None for entries of no order."""

    def __post_init__(self) -> None:
        if len(self.postings) < 2 or any(p.amount == 0 for p in self.postings):
            raise UnbalancedEntryError(f"entry for {self.event_id}: needs 2+ non-zero postings")
        if len({p.account.currency for p in self.postings}) != 1:
            raise UnbalancedEntryError(f"entry for {self.event_id}: mixes currencies")
        total = sum(p.amount for p in self.postings)
        if total != 0:
            raise UnbalancedEntryError(f"entry for {self.event_id}: postings sum to {total}")

    @property
    def entry_id(self) -> uuid.UUID:
        """Derived from the event id: the same event always makes the same entry."""
        return entry_id_for(self.event_id)

    @property
    def currency(self) -> str:
        return self.postings[0].account.currency


def entry_id_for(event_id: str) -> uuid.UUID:
    return uuid.uuid5(_ENTRY_NAMESPACE, event_id)


def entry_id_text(event_id: str) -> str:
    """``str(entry_id_for(event_id))``, cheaper (for writers that need the text only)."""
    return uuid5_text(_ENTRY_NAMESPACE, event_id)


def balances(entries: Iterable[JournalEntry]) -> dict[AccountKey, int]:
    """Sum of postings per account over ``entries`` (accounts never posted to are absent)."""
    result: dict[AccountKey, int] = {}
    for entry in entries:
        for posting in entry.postings:
            result[posting.account] = result.get(posting.account, 0) + posting.amount
    return result
