"""Folding ledger.v1 into holds and payee balances; runs inside the consumer's transaction.

`ledger.payout_posted` is not folded: this service moves a payee's available balance itself when
it creates a payout and when the payout fails, in the same transaction as the payout row, and
the ledger's posting of the same payout mirrors that move.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from services.payouts.adapters.db.balances_repository import add_to_available
from services.payouts.adapters.db.holds_repository import get_hold, insert_hold, save_hold
from services.payouts.domain.balances import Payee, balance_changes
from services.payouts.domain.errors import PayoutsDomainError
from services.payouts.domain.holds import (
    Hold,
    PartyAmount,
    deliver,
    open_hold,
    record_ledger_release,
    reverse_pending,
)
from services.payouts.domain.release_instant import HoldTerms
from shared.events import ledger_v1
from shared.events.common import Leg


class BalanceMoves:
    """Available-balance changes of one consumed batch, written once at its end in payee order,
    so the consumer and a payout run always lock balance rows in the same order."""

    def __init__(self) -> None:
        self.changes: dict[Payee, int] = {}
        self.min_payouts: dict[Payee, int] = {}

    def add(self, changes: dict[Payee, int], *, min_payout: int | None = None) -> None:
        for payee, delta in changes.items():
            self.changes[payee] = self.changes.get(payee, 0) + delta
            if min_payout is not None:
                self.min_payouts[payee] = min_payout

    async def write(self, conn: AsyncConnection) -> None:
        await add_to_available(conn, self.changes, min_payouts=self.min_payouts)


class UnknownHoldError(PayoutsDomainError):
    """An order event arrived for an order this service never saw posted."""


def _amounts(legs: list[Leg]) -> list[PartyAmount]:
    return [PartyAmount(leg.party_type, leg.party_id, leg.amount) for leg in legs]


async def _existing_hold(conn: AsyncConnection, order_id: str) -> Hold:
    hold = await get_hold(conn, order_id, for_update=True)
    if hold is None:
        raise UnknownHoldError(f"no hold for order {order_id}: ledger.order_posted never arrived")
    return hold


async def apply_ledger_event(
    conn: AsyncConnection, event: ledger_v1.LedgerEvent, moves: BalanceMoves
) -> None:
    """Apply one new (already de-duplicated) ledger event: holds are written at once, balance
    changes are collected in `moves` for the caller to write before commit. Raises
    PayoutsDomainError for an event that cannot apply, which the consumer dead-letters."""
    match event:
        case ledger_v1.LedgerOrderPosted():
            if await get_hold(conn, event.order_id) is not None:
                return  # a re-posting under a new event id changes nothing already held
            terms = event.release_terms
            await insert_hold(
                conn,
                open_hold(
                    order_id=event.order_id,
                    shop_id=event.shop_id,
                    region=event.region,
                    currency=event.currency,
                    terms=HoldTerms(
                        terms.after_sales_window_days, terms.release_rule, terms.min_payout
                    ),
                    legs=_amounts(event.legs),
                ),
            )
        case ledger_v1.LedgerOrderDelivered():
            hold = await _existing_hold(conn, event.order_id)
            await save_hold(conn, deliver(hold, event.delivered_at))
        case ledger_v1.LedgerOrderReversed(phase="pending"):
            hold = await _existing_hold(conn, event.order_id)
            await save_hold(conn, reverse_pending(hold, _amounts(event.legs)))
        case ledger_v1.LedgerOrderReversed():
            moves.add(balance_changes(event.currency, _amounts(event.legs), sign=-1))
        case ledger_v1.LedgerOrderReleased():
            hold = await _existing_hold(conn, event.order_id)
            legs = _amounts(event.legs)
            await save_hold(conn, record_ledger_release(hold, legs, event.released_at))
            moves.add(
                balance_changes(event.currency, legs, sign=1), min_payout=hold.terms.min_payout
            )
        case ledger_v1.LedgerPayoutPosted():
            return
