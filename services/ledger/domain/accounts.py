"""Accounts of the journal: one per (party, currency, sub-account), plus the buyers' clearing.

Every balance is the sum of the postings to an account, in integer minor units of its currency.
Party accounts carry what is owed to the party: ``pending`` until release, then ``available``
(which may go negative after a clawback), and ``paid_out`` once a payout is created. The
``system/clearing`` account holds the other side of buyers' money: placement debits it by the
paid total and a refund credits it back, so every entry sums to zero.

Platform and tax accounts are per region (``platform/UK``): the event carries the region, and
neither party is paid out by the payouts service.
"""

from dataclasses import dataclass
from typing import Literal, get_args

SubAccount = Literal["pending", "available", "paid_out", "clearing"]
AccountPartyType = Literal["merchant", "creator", "agency", "platform", "tax", "system"]
SUB_ACCOUNTS: tuple[SubAccount, ...] = get_args(SubAccount)
PARTY_SUB_ACCOUNTS: tuple[SubAccount, ...] = ("pending", "available", "paid_out")
CLEARING_PARTY_ID = "clearing"


@dataclass(frozen=True, slots=True, order=True)
class AccountKey:
    """Identifies an account; ``code`` is its stable text form (the journal's account column)."""

    party_type: AccountPartyType
    party_id: str
    currency: str
    sub_account: SubAccount

    @property
    def code(self) -> str:
        return f"{self.party_type}/{self.party_id}/{self.currency}/{self.sub_account}"


def clearing(currency: str) -> AccountKey:
    """Where buyers' money sits, per currency (debited at placement, credited by refunds)."""
    return AccountKey("system", CLEARING_PARTY_ID, currency, "clearing")
