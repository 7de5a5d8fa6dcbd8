"""Payout events in the journal: created moves available -> paid_out, failed moves it back."""

from datetime import datetime

from services.ledger.domain import publications as pub
from services.ledger.domain.accounts import AccountKey
from services.ledger.domain.errors import PayoutTransitionError
from services.ledger.domain.journal import JournalEntry, Posting
from services.ledger.domain.outputs import FoldOutput, publish
from services.ledger.domain.state import LedgerState, PayoutState, PayoutStatus
from shared.events.payouts_v1 import PayoutCreated, PayoutFailed, PayoutPaid

PAYOUT_RULE_VERSION = "payout-2026-11.v1"

_PAYOUT_TRANSITIONS: dict[PayoutStatus, frozenset[PayoutStatus | None]] = {
    "created": frozenset({None}),
    "paid": frozenset({"created"}),
    "failed": frozenset({"created", "paid"}),
}
"""Which state each payout event may follow (None: the payout is new to the ledger)."""


def _payout_status_and_time(
    event: PayoutCreated | PayoutPaid | PayoutFailed,
) -> tuple[PayoutStatus, datetime]:
    if isinstance(event, PayoutCreated):
        return "created", event.created_at
    if isinstance(event, PayoutPaid):
        return "paid", event.paid_at
    return "failed", event.failed_at


def apply_payout(
    state: LedgerState,
    event_id: str,
    event: PayoutCreated | PayoutPaid | PayoutFailed,
    output: FoldOutput,
) -> None:
    """created: available -> paid_out; failed: paid_out -> available; paid: no money moves.
    ``state`` is only read: the payout's new state goes to ``output.payouts``.

    The same status announced again (another event id) changes nothing; a transition that does
    not follow from the payout's state raises ``PayoutTransitionError``.
    """
    status, occurred_at = _payout_status_and_time(event)
    known = output.payouts.get(event.payout_id) or state.payouts.get(event.payout_id)
    previous = known.status if known is not None else None
    if previous == status:
        return
    if previous not in _PAYOUT_TRANSITIONS[status]:
        raise PayoutTransitionError(
            f"payout {event.payout_id}: {event.TYPE} after {previous or 'nothing'}"
        )
    if known is not None and (known.amount, known.currency) != (event.amount, event.currency):
        raise PayoutTransitionError(f"payout {event.payout_id}: amount or currency changed")
    if status != "paid":
        moved = event.amount if status == "created" else -event.amount
        available = AccountKey(event.party_type, event.party_id, event.currency, "available")
        paid_out = AccountKey(event.party_type, event.party_id, event.currency, "paid_out")
        output.entries.append(
            JournalEntry(
                event_id=event_id,
                order_id=None,
                kind=f"payout_{status}",
                occurred_at=occurred_at,
                rule_version=PAYOUT_RULE_VERSION,
                postings=(
                    Posting(available, -moved, "payout"),
                    Posting(paid_out, moved, "payout"),
                ),
                details={"payout_id": event.payout_id, "run_id": event.run_id},
            )
        )
    output.payouts[event.payout_id] = PayoutState(
        payout_id=event.payout_id,
        party_type=event.party_type,
        party_id=event.party_id,
        currency=event.currency,
        amount=event.amount,
        status=status,
    )
    publish(
        output,
        event_id,
        pub.PayoutPosted(
            payout_id=event.payout_id,
            party_type=event.party_type,
            party_id=event.party_id,
            currency=event.currency,
            amount=event.amount,
            status=status,
            occurred_at=occurred_at,
        ),
    )
