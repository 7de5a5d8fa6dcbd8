"""The order state machine as ``decide`` / ``evolve``, with an inbox for early facts.

Rules (a fact that breaks one raises ``TransitionRejected``, 409, and records nothing):

- ``Placed`` comes first and only once; a second placement is rejected even if identical.
- ``Delivered`` at most once, never after a cancellation. A fully refunded order can still be
  delivered (the delivery is a fact; the ledger releases nothing for it).
- ``Refunded`` at any time after placement, before or after delivery: each ``refund_id`` at most
  once (a repeat is rejected even with the same amount), cumulative refunds never above
  ``paid_total``, and never a refund that occurred after the cancellation.
- ``Cancelled`` only before delivery and only once. It is accepted after a full refund (it then
  reverses nothing) so that a cancellation and a refund converge whichever arrives first. It is
  rejected if an accepted refund occurred after it.
- After a cancellation only refunds that occurred before it (business order) are still taken:
  they arrived late, and the cancellation already reversed what they cover, so they move no money.

Duplicate deliveries of the same webhook are absorbed above the domain by ``webhook-id``; here a
second ``Delivered``, ``Cancelled`` or a reused ``refund_id`` is a rejected transition.

Inbox: a delivery, refund or cancellation that arrives before the placement is held
(``FactHeld``; nothing is published; at most one held delivery, one held cancellation and one held
refund per ``refund_id``, a second is rejected; at most ``MAX_HELD_FACTS`` in all, the next is
rejected). When the placement arrives, the held facts are
applied right after it in business order (``business_key``: ``occurred_at``, then placed <
delivered < refunded < cancelled, then ``refund_id``). A held fact that turns out impossible (e.g.
a refund above ``paid_total``) is dropped: ``HeldFactDropped`` is recorded with the 409 reason and
reported in ``Decision.dropped``; the facts after it are still tried. Because the inbox is kept in
business order, every arrival order of facts that precede the placement gives the same events.
The placement is always first: a fact stamped earlier than the placement (upstream clock skew) is
not rejected for that.

A delivery dated before its placement counts as happening at the placement instant:
``OrderState.delivered_at`` (and the published ``delivered_at``, from which the release is due)
is ``max(delivery occurred_at, placement occurred_at)`` (``effective_delivered_at``). The
delivery keeps its stated time in the stream and in business order; the rule is applied once
both facts are known, whichever arrived first, so an order is never delivered before it was
placed and every arrival order publishes the same ``delivered_at``.

Convergence: for the facts of a consistent history (one that business order accepts whole),
every arrival order, with any duplicates, ends in the same ``OrderState`` and accepts the same
events. Each decision lists its accepted events in business order (placement first); events of
separate decisions after the placement are published in arrival order, each being already answered.
For an inconsistent set (e.g. both a delivery and a cancellation, or refunds above
``paid_total``) arriving after the placement, the first to arrive wins and the other is rejected.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from services.orders.domain.bounds import MAX_HELD_FACTS
from services.orders.domain.errors import TransitionRejected
from services.orders.domain.events import (
    AcceptedEvent,
    FactHeld,
    HeldFactDropped,
    OrderEvent,
    OrderPlaced,
    PricedLine,
    business_key,
)
from services.orders.domain.facts import (
    Agency,
    Cancelled,
    Delivered,
    Fact,
    Placed,
    Refunded,
    validate_fact,
)
from services.orders.domain.plans import Plan

OrderStatus = Literal["awaiting_placement", "placed", "delivered", "cancelled"]
LaterFact = Delivered | Refunded | Cancelled


@dataclass(frozen=True, slots=True)
class OrderState:
    """One order, as the fold of its recorded events. Amounts in the currency's minor unit.

    ``refunds`` and ``pending`` are kept in business order, so the state depends only on which
    facts were taken, never on the order they arrived in.
    """

    order_id: str
    status: OrderStatus
    placement: OrderPlaced | None = None
    delivered_at: datetime | None = None
    """When the delivery counts as having happened: never before the placement."""
    cancelled_at: datetime | None = None
    refunds: tuple[Refunded, ...] = ()
    pending: tuple[LaterFact, ...] = ()

    @property
    def lines(self) -> tuple[PricedLine, ...]:
        return self.placement.lines if self.placement else ()

    @property
    def paid_total(self) -> int:
        return self.placement.paid_total if self.placement else 0

    @property
    def refunded_total(self) -> int:
        return sum(refund.amount for refund in self.refunds)

    @property
    def fully_refunded(self) -> bool:
        return self.placement is not None and self.refunded_total == self.paid_total

    @property
    def refund_ids(self) -> frozenset[str]:
        return frozenset(refund.refund_id for refund in self.refunds)

    @property
    def creator_id(self) -> str | None:
        return self.placement.creator_id if self.placement else None

    @property
    def agency(self) -> Agency | None:
        return self.placement.agency if self.placement else None


@dataclass(frozen=True, slots=True)
class Decision:
    """What one fact did: the events to append to the order's stream, in the order ``evolve``
    folds them, and the resulting state (equal to that fold)."""

    new_state: OrderState
    events: tuple[OrderEvent, ...]

    @property
    def accepted_events(self) -> tuple[AcceptedEvent, ...]:
        """Events for the ``orders.v1`` outbox, in business order."""
        return tuple(e for e in self.events if not isinstance(e, FactHeld | HeldFactDropped))

    @property
    def dropped(self) -> tuple[HeldFactDropped, ...]:
        """Held facts the placement turned out to make impossible, with their reasons."""
        return tuple(e for e in self.events if isinstance(e, HeldFactDropped))

    @property
    def held(self) -> bool:
        """True when the fact was kept to wait for the placement (nothing to publish yet)."""
        return any(isinstance(e, FactHeld) for e in self.events)


def decide(state: OrderState | None, fact: Fact, *, plans: Iterable[Plan]) -> Decision:
    """Take one webhook fact for the order in ``state`` (``None``: nothing recorded yet).

    ``plans`` are the shop's validated plans; only a placement uses them, to stamp each line's
    terms as of its ``occurred_at``. Raises ``InvalidOrder`` for a payload that is never valid
    and ``TransitionRejected`` for a fact this state cannot take; either way nothing is decided.
    """
    validate_fact(fact)
    if state is not None and state.order_id != fact.order_id:
        raise ValueError(f"fact for order {fact.order_id} given the state of {state.order_id}")
    if isinstance(fact, Placed):
        return _place(state, fact, plans)
    if state is None or state.placement is None:
        return _hold(state, fact)
    event = _accept(state, fact)
    return Decision(new_state=evolve(state, event), events=(event,))


def evolve(state: OrderState | None, event: OrderEvent) -> OrderState:
    """Apply one recorded event. Pure; raises ``ValueError`` for an event the state cannot
    have recorded (a corrupt stream), never ``TransitionRejected``."""
    if isinstance(event, FactHeld):
        if state is not None and state.placement is not None:
            raise ValueError(f"order {state.order_id} is placed: nothing is held any more")
        base = state or OrderState(order_id=event.fact.order_id, status="awaiting_placement")
        pending = tuple(sorted((*base.pending, event.fact), key=business_key))
        return replace(base, pending=pending)
    if isinstance(event, OrderPlaced):
        if state is not None and state.placement is not None:
            raise ValueError(f"order {state.order_id} is already placed")
        # The held facts are decided by the events that follow in the same decision.
        return OrderState(order_id=event.order_id, status="placed", placement=event)
    placed = _require_placed(state, event)
    if isinstance(event, Delivered):
        at = effective_delivered_at(placed.placement, event)
        return replace(placed, status="delivered", delivered_at=at)
    if isinstance(event, Refunded):
        refunds = tuple(sorted((*placed.refunds, event), key=business_key))
        return replace(placed, refunds=refunds)
    if isinstance(event, Cancelled):
        return replace(placed, status="cancelled", cancelled_at=event.occurred_at)
    return placed  # HeldFactDropped: the placement already emptied the inbox


def effective_delivered_at(placement: OrderPlaced | None, delivery: Delivered) -> datetime:
    """When ``delivery`` counts as having happened: its ``occurred_at``, or the placement's if
    the delivery is dated before it (upstream clock skew; an order is not delivered before it
    is placed). A function of the two facts only, so every arrival order agrees on it."""
    if placement is None:
        raise ValueError(f"order {delivery.order_id} is delivered before it is placed")
    return max(delivery.occurred_at, placement.occurred_at)


def _require_placed(state: OrderState | None, event: OrderEvent) -> OrderState:
    if state is None or state.placement is None:
        raise ValueError(f"{type(event).__name__} recorded before the order was placed")
    return state


def _place(state: OrderState | None, placed: Placed, plans: Iterable[Plan]) -> Decision:
    if state is not None and state.placement is not None:
        raise TransitionRejected(f"order {placed.order_id} is already placed")
    placed_event = OrderPlaced.stamp(placed, plans)
    current = evolve(state, placed_event)
    events: list[OrderEvent] = [placed_event]
    for fact in state.pending if state else ():
        event: OrderEvent
        try:
            event = _accept(current, fact)
        except TransitionRejected as rejected:
            event = HeldFactDropped(fact=fact, reason=rejected.reason)
        current = evolve(current, event)
        events.append(event)
    return Decision(new_state=current, events=tuple(events))


def _hold(state: OrderState | None, fact: LaterFact) -> Decision:
    held_facts = state.pending if state else ()
    if len(held_facts) >= MAX_HELD_FACTS:
        raise TransitionRejected(
            f"order {fact.order_id} is not placed yet and already holds {len(held_facts)} facts, "
            f"the most an unplaced order holds"
        )
    for held in held_facts:
        if _identity(held) == _identity(fact):
            raise TransitionRejected(
                f"order {fact.order_id} is not placed yet and already holds {_describe(fact)}"
            )
    event = FactHeld(fact=fact)
    return Decision(new_state=evolve(state, event), events=(event,))


def _accept(state: OrderState, fact: LaterFact) -> AcceptedEvent:
    """Return the event for ``fact`` on a placed order, or raise ``TransitionRejected``."""
    order = state.order_id
    if isinstance(fact, Delivered):
        if state.status == "cancelled":
            raise TransitionRejected(f"order {order} was cancelled and cannot be delivered")
        if state.status == "delivered":
            raise TransitionRejected(f"order {order} was already delivered")
        return fact
    if isinstance(fact, Refunded):
        if fact.refund_id in state.refund_ids:
            raise TransitionRejected(f"order {order} already has refund {fact.refund_id}")
        if state.cancelled_at is not None and fact.occurred_at > state.cancelled_at:
            raise TransitionRejected(
                f"order {order} was cancelled before refund {fact.refund_id} occurred"
            )
        if state.refunded_total + fact.amount > state.paid_total:
            raise TransitionRejected(
                f"refund {fact.refund_id} of {fact.amount} would take order {order} above its "
                f"paid total {state.paid_total} (already refunded {state.refunded_total})"
            )
        return fact
    if state.status == "delivered":
        raise TransitionRejected(f"order {order} was delivered; only an undelivered one cancels")
    if state.status == "cancelled":
        raise TransitionRejected(f"order {order} was already cancelled")
    later = [r.refund_id for r in state.refunds if r.occurred_at > fact.occurred_at]
    if later:
        raise TransitionRejected(
            f"order {order} has refunds that occurred after this cancellation: {', '.join(later)}"
        )
    return fact


def _identity(fact: LaterFact) -> tuple[type[LaterFact], str]:
    return (type(fact), fact.refund_id if isinstance(fact, Refunded) else "")


def _describe(fact: LaterFact) -> str:
    if isinstance(fact, Refunded):
        return f"refund {fact.refund_id}"
    return "a delivery" if isinstance(fact, Delivered) else "a cancellation"
