"""Folding ledger.v1 into holds and payee balances, in memory for a whole consumed batch.

`ledger.payout_posted` is not folded: this service moves a payee's available balance itself when
it creates a payout and when the payout fails, in the same transaction as the payout row, and
the ledger's posting of the same payout mirrors that move.
"""

from __future__ import annotations

from services.payouts.domain.balances import Payee, balance_changes
from services.payouts.domain.errors import PayoutsDomainError
from services.payouts.domain.holds import (
    Hold,
    OrderKey,
    PartyAmount,
    deliver,
    open_hold,
    record_ledger_release,
    reverse_pending,
)
from services.payouts.domain.release_instant import HoldTerms
from services.payouts.service.ports import BalancesRepository
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

    async def write(self, balances: BalancesRepository) -> None:
        await balances.add_to_available(self.changes, min_payouts=self.min_payouts)


class UnknownHoldError(PayoutsDomainError):
    """An order event arrived for an order this service never saw posted."""


class BatchHolds:
    """The holds a consumed batch touches: locked and loaded once up front, changed in memory by
    each event in turn, and written once at the end (new ones inserted, changed ones updated)."""

    def __init__(self, loaded: dict[OrderKey, Hold]) -> None:
        self._loaded = loaded
        self._current = dict(loaded)

    def find(self, key: OrderKey) -> Hold | None:
        return self._current.get(key)

    def get(self, key: OrderKey) -> Hold:
        hold = self._current.get(key)
        if hold is None:
            raise UnknownHoldError(
                f"no hold for order {key[1]} of shop {key[0]}: ledger.order_posted never arrived"
            )
        return hold

    def put(self, hold: Hold) -> None:
        self._current[hold.key] = hold

    def new(self) -> list[Hold]:
        return [h for key, h in sorted(self._current.items()) if key not in self._loaded]

    def changed(self) -> list[Hold]:
        return [
            h
            for key, h in sorted(self._current.items())
            if key in self._loaded and h is not self._loaded[key]
        ]


def orders_of(events: list[ledger_v1.LedgerEvent]) -> set[OrderKey]:
    """The orders whose holds the events read or change (a clawback moves balances only, so
    its hold is neither locked nor read)."""
    return {
        event.order_key
        for event in events
        if not isinstance(event, ledger_v1.LedgerPayoutPosted)
        and not (isinstance(event, ledger_v1.LedgerOrderReversed) and event.phase != "pending")
    }


def _amounts(legs: list[Leg]) -> list[PartyAmount]:
    return [PartyAmount(leg.party_type, leg.party_id, leg.amount) for leg in legs]


def apply_ledger_event(
    holds: BatchHolds, event: ledger_v1.LedgerEvent, moves: BalanceMoves
) -> None:
    """Apply one new (already de-duplicated) ledger event to the batch's holds, and collect
    balance changes in `moves` (both written by the caller before commit). Raises
    PayoutsDomainError for an event that cannot apply, which the consumer dead-letters."""
    match event:
        case ledger_v1.LedgerOrderPosted():
            if holds.find(event.order_key) is not None:
                return  # a re-posting under a new event id changes nothing already held
            terms = event.release_terms
            holds.put(
                open_hold(
                    order_id=event.order_id,
                    shop_id=event.shop_id,
                    region=event.region,
                    currency=event.currency,
                    terms=HoldTerms(
                        terms.after_sales_window_days, terms.release_rule, terms.min_payout
                    ),
                    legs=_amounts(event.legs),
                )
            )
        case ledger_v1.LedgerOrderDelivered():
            holds.put(deliver(holds.get(event.order_key), event.delivered_at))
        case ledger_v1.LedgerOrderReversed(phase="pending"):
            holds.put(reverse_pending(holds.get(event.order_key), _amounts(event.legs)))
        case ledger_v1.LedgerOrderReversed():
            moves.add(balance_changes(event.currency, _amounts(event.legs), sign=-1))
        case ledger_v1.LedgerOrderReleased():
            hold = holds.get(event.order_key)
            legs = _amounts(event.legs)
            holds.put(record_ledger_release(hold, legs, event.released_at))
            moves.add(
                balance_changes(event.currency, legs, sign=1), min_payout=hold.terms.min_payout
            )
        case ledger_v1.LedgerPayoutPosted():
            return
