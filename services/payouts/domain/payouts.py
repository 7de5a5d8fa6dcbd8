"""A payout as this service keeps it: one payee paid one amount by one run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.payouts.domain.balances import Payee


@dataclass(frozen=True, slots=True)
class Payout:
    """`amount` in minor units of `currency`; `status` is created (not settled yet), paid or
    failed (refused by the provider, the amount returned to the payee's available balance)."""

    payout_id: str
    run_id: str
    party_type: str
    party_id: str
    currency: str
    amount: int
    status: str
    failure_reason: str | None
    created_at: datetime
    completed_at: datetime | None
    attempts: int
    """Provider calls made for it so far."""
    last_attempt_at: datetime | None
    last_error: str | None
    """Why the last call had no definite answer; None if every call had one."""
    next_attempt_at: datetime | None
    """When an unsettled payout is due again; None: due now (or settled)."""

    @property
    def payee(self) -> Payee:
        return Payee(self.party_type, self.party_id, self.currency)
