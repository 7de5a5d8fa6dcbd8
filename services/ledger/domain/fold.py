"""The fold: consumed events in, journal entries and ``ledger.v1`` publications out.

Pure: no clock, no I/O. ``fold`` applies events in order to a working ``LedgerState`` (the orders
and payouts they touch) and returns what to write. Each event yields at most one entry, whose id
is derived from the event id, and publications whose ids are derived from it too, so folding the
same events again yields identical output.
"""

from collections.abc import Iterable

from services.ledger.domain.accounts import clearing
from services.ledger.domain.errors import (
    DuplicateOrderError,
    InvalidRefundError,
    UnknownOrderError,
)
from services.ledger.domain.journal import JournalEntry, Posting
from services.ledger.domain.legs import leg_postings, published_legs
from services.ledger.domain.outputs import FoldOutput, Incoming, publish
from services.ledger.domain.payout_fold import apply_payout
from services.ledger.domain.reversal import remaining_legs, reverse_cancellation, reverse_refund
from services.ledger.domain.split import RULE_VERSION
from services.ledger.domain.state import LedgerState, OrderKey, OrderState
from shared.events import ledger_v1 as ledger
from shared.events.orders_v1 import (
    OrderCancelled,
    OrderDelivered,
    OrderPlaced,
    OrderRefunded,
)
from shared.events.payouts_v1 import (
    PayoutCreated,
    PayoutFailed,
    PayoutPaid,
    SettlementReleased,
)


def fold(state: LedgerState, events: Iterable[Incoming]) -> FoldOutput:
    """Apply ``events`` in order to ``state`` (updated in place) and collect the output.

    Raises a ``LedgerDomainError`` (a ValueError or not) for an event that cannot be applied; the
    caller then discards ``state`` and the output, as nothing of the batch may be written.
    """
    output = FoldOutput()
    for incoming in events:
        _apply(state, incoming, output)
    return output


def _order(state: LedgerState, key: OrderKey) -> OrderState:
    found = state.orders.get(key)
    if found is None:
        raise UnknownOrderError(f"order {key[1]} of shop {key[0]} has not been placed")
    return found


def _apply(state: LedgerState, incoming: Incoming, output: FoldOutput) -> None:
    event = incoming.event
    if isinstance(event, PayoutCreated | PayoutPaid | PayoutFailed):
        apply_payout(state, incoming.event_id, event, output)
        return
    if isinstance(event, OrderPlaced):
        order = _place(state, incoming.event_id, event, output)
    elif isinstance(event, OrderDelivered):
        order = _order(state, event.order_key).evolve(delivered_at=event.delivered_at)
        publish(
            output,
            incoming.event_id,
            ledger.LedgerOrderDelivered(
                order_id=event.order_id,
                shop_id=event.shop_id,
                currency=order.split.currency,
                delivered_at=event.delivered_at,
            ),
        )
    elif isinstance(event, OrderRefunded | OrderCancelled):
        order = _reverse(state, incoming.event_id, event, output)
    else:
        order = _release(state, incoming.event_id, event, output)
    state.orders[order.key] = order
    output.touched_orders.add(order.key)


def _place(state: LedgerState, event_id: str, event: OrderPlaced, output: FoldOutput) -> OrderState:
    if event.order_key in state.orders:
        raise DuplicateOrderError(f"order {event.order_id} of {event.shop_id} was already placed")
    order = OrderState.from_placed(event)
    split = order.split
    postings = leg_postings(order, split.legs, "pending", sign=1)
    if split.paid_total:
        postings.append(Posting(clearing(split.currency), -split.paid_total, "clearing"))
        output.entries.append(
            JournalEntry(
                event_id=event_id,
                order_id=event.order_id,
                shop_id=event.shop_id,
                kind="order_placed",
                occurred_at=event.occurred_at,
                rule_version=split.rule_version,
                postings=tuple(postings),
                details={
                    "paid_total": split.paid_total,
                    "commission": split.commission,
                    "commission_shortfall": split.commission_shortfall,
                    "agency_share_bps": split.agency_share_bps,
                    "terms": event.terms.model_dump(mode="json"),
                    "lines": [
                        {
                            "sku": line.sku,
                            "base": line.base,
                            "rate_bps": line.rate_bps,
                            "plan_id": line.plan_id,
                            "commission": line.commission,
                        }
                        for line in split.lines
                    ],
                },
            )
        )
    publish(
        output,
        event_id,
        ledger.LedgerOrderPosted(
            order_id=event.order_id,
            shop_id=event.shop_id,
            region=event.region,
            currency=event.currency,
            occurred_at=event.occurred_at,
            paid_total=split.paid_total,
            legs=published_legs(order, split.legs),
            release_terms=event.terms.release_terms(),
        ),
    )
    return order


def _reverse(
    state: LedgerState,
    event_id: str,
    event: OrderRefunded | OrderCancelled,
    output: FoldOutput,
) -> OrderState:
    order = _order(state, event.order_key)
    split = order.split
    if isinstance(event, OrderRefunded):
        after = order.refunded + event.amount
        if after != event.refunded_total:
            raise InvalidRefundError(
                f"order {event.order_id}: refunded_total {event.refunded_total} does not follow "
                f"from {order.refunded} already refunded plus {event.amount}"
            )
        # Checks the bound against paid_total even when nothing is left to move.
        reversal = reverse_refund(split, order.refunded, after)
        updated = order.evolve(refunded=after)
        if order.cancelled:
            return updated  # the cancellation already reversed every leg
        reason: ledger.ReversalReason = "refund"
        refund_id: str | None = event.refund_id
    else:
        if order.cancelled:
            return order
        reversal = reverse_cancellation(split, order.refunded)
        updated = order.evolve(cancelled=True)
        reason, refund_id = "cancel", None
    if reversal.amount == 0:
        return updated
    phase: ledger.ReversalPhase = "clawback" if order.released else "pending"
    postings = leg_postings(
        order, reversal.legs, "available" if order.released else "pending", sign=-1
    )
    postings.append(Posting(clearing(split.currency), reversal.amount, "clearing"))
    output.entries.append(
        JournalEntry(
            event_id=event_id,
            order_id=event.order_id,
            shop_id=event.shop_id,
            kind=f"order_{'clawback' if order.released else reason}",
            occurred_at=event.occurred_at,
            rule_version=reversal.rule_version,
            postings=tuple(postings),
            details={
                "refund_id": refund_id,
                "refunded_before": reversal.refunded_before,
                "refunded_after": reversal.refunded_after,
                "phase": phase,
            },
        )
    )
    publish(
        output,
        event_id,
        ledger.LedgerOrderReversed(
            order_id=event.order_id,
            shop_id=event.shop_id,
            currency=split.currency,
            reason=reason,
            refund_id=refund_id,
            phase=phase,
            occurred_at=event.occurred_at,
            amount=reversal.amount,
            legs=published_legs(order, reversal.legs),
        ),
    )
    return updated


def _release(
    state: LedgerState, event_id: str, event: SettlementReleased, output: FoldOutput
) -> OrderState:
    order = _order(state, event.order_key)
    if order.released:
        return order
    released = order.evolve(released=True)
    remaining = remaining_legs(order.split, order.reversed_total)
    if remaining.total == 0:
        return released
    postings = leg_postings(order, remaining, "pending", sign=-1)
    postings += leg_postings(order, remaining, "available", sign=1)
    output.entries.append(
        JournalEntry(
            event_id=event_id,
            order_id=event.order_id,
            shop_id=event.shop_id,
            kind="order_released",
            occurred_at=event.released_at,
            rule_version=RULE_VERSION,
            postings=tuple(postings),
            details={
                "reversed_before_release": order.reversed_total,
                # What the payouts service expected to move; the journal moved what it holds.
                "expected_by_payouts": [leg.model_dump() for leg in event.legs],
            },
        )
    )
    publish(
        output,
        event_id,
        ledger.LedgerOrderReleased(
            order_id=event.order_id,
            shop_id=event.shop_id,
            currency=order.split.currency,
            released_at=event.released_at,
            legs=published_legs(order, remaining),
        ),
    )
    return released
