"""The fold: consumed events in, journal entries, ``ledger.v1`` publications and new state out.

Pure: no clock, no I/O. ``evolve`` applies events in order to a ``LedgerState`` (the orders and
payouts they touch), which it only reads, and returns what to write, including the new state of
every order and payout that changed. Each event yields at most one entry, whose id is derived
from the event id, and publications whose ids are derived from it too, so folding the same
events again yields identical output.
"""

from collections.abc import Iterable

from services.ledger.domain import publications as pub
from services.ledger.domain.accounts import clearing
from services.ledger.domain.errors import (
    DuplicateOrderError,
    InvalidRefundError,
    UnknownOrderError,
)
from services.ledger.domain.journal import JournalEntry, Posting
from services.ledger.domain.legs import leg_postings, published_legs
from services.ledger.domain.outputs import (
    FoldOutput,
    Incoming,
    WireFoldOutput,
    WirePublication,
    as_wire,
    publish,
)
from services.ledger.domain.payout_fold import apply_payout
from services.ledger.domain.reversal import remaining_legs, reverse_cancellation, reverse_refund
from services.ledger.domain.split import RULE_VERSION
from services.ledger.domain.state import LedgerState, OrderKey, OrderState
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


def evolve(state: LedgerState, events: Iterable[Incoming]) -> FoldOutput:
    """Apply ``events`` in order to ``state`` and return the output; ``state`` is not changed:
    ``output.orders`` and ``output.payouts`` hold the new state of what changed.

    Raises a ``LedgerDomainError`` (a ValueError or not) for an event that cannot be applied;
    nothing of the batch may then be written.
    """
    output = FoldOutput()
    for incoming in events:
        _apply(state, incoming, output)
    return output


def fold(state: LedgerState, events: Iterable[Incoming]) -> WireFoldOutput:
    """``evolve``, then ``state`` updated in place with the new orders and payouts, and the
    publications as ``ledger_v1`` models; on an error ``state`` is left as it was.

    The entry point the in-memory replay (``service/replaying.py``) used before ``evolve``; it
    builds each publication's pydantic model, which ``evolve`` + ``publication_record`` avoid.
    """
    output = evolve(state, events)
    state.orders.update(output.orders)
    state.payouts.update(output.payouts)
    return WireFoldOutput(
        entries=output.entries,
        publications=[WirePublication(p.event_id, as_wire(p.event)) for p in output.publications],
        orders=output.orders,
        payouts=output.payouts,
    )


def _order(state: LedgerState, key: OrderKey, output: FoldOutput) -> OrderState:
    found = output.orders.get(key) or state.orders.get(key)
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
        order = _order(state, event.order_key, output).evolve(delivered_at=event.delivered_at)
        publish(
            output,
            incoming.event_id,
            pub.OrderDelivered(
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
    output.orders[order.key] = order


def _place(state: LedgerState, event_id: str, event: OrderPlaced, output: FoldOutput) -> OrderState:
    if event.order_key in output.orders or event.order_key in state.orders:
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
                    "terms": _terms_details(event),
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
        pub.OrderPosted(
            order_id=event.order_id,
            shop_id=event.shop_id,
            region=event.region,
            currency=event.currency,
            occurred_at=event.occurred_at,
            paid_total=split.paid_total,
            legs=published_legs(order, split.legs),
            release_terms=pub.ReleaseTerms(
                after_sales_window_days=event.terms.after_sales_window_days,
                release_rule=event.terms.release_rule,
                min_payout=event.terms.min_payout,
            ),
        ),
    )
    return order


def _reverse(
    state: LedgerState,
    event_id: str,
    event: OrderRefunded | OrderCancelled,
    output: FoldOutput,
) -> OrderState:
    order = _order(state, event.order_key, output)
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
        reason: pub.ReversalReason = "refund"
        refund_id: str | None = event.refund_id
    else:
        if order.cancelled:
            return order
        reversal = reverse_cancellation(split, order.refunded)
        updated = order.evolve(cancelled=True)
        reason, refund_id = "cancel", None
    if reversal.amount == 0:
        return updated
    phase: pub.ReversalPhase = "clawback" if order.released else "pending"
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
        pub.OrderReversed(
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
    order = _order(state, event.order_key, output)
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
                "expected_by_payouts": [
                    {"party_type": leg.party_type, "party_id": leg.party_id, "amount": leg.amount}
                    for leg in event.legs
                ],
            },
        )
    )
    publish(
        output,
        event_id,
        pub.OrderReleased(
            order_id=event.order_id,
            shop_id=event.shop_id,
            currency=order.split.currency,
            released_at=event.released_at,
            legs=published_legs(order, remaining),
        ),
    )
    return released


def _terms_details(event: OrderPlaced) -> dict[str, object]:
    """The placement's terms as the entry records them (the ``OrderTerms`` fields)."""
    terms = event.terms
    return {
        "after_sales_window_days": terms.after_sales_window_days,
        "release_rule": terms.release_rule,
        "min_payout": terms.min_payout,
        "platform_fee_bps": terms.platform_fee_bps,
        "platform_cut_bps": terms.platform_cut_bps,
        "creator_tax_bps": terms.creator_tax_bps,
    }
