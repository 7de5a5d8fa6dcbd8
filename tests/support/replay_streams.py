"""Record streams for replay tests: orders with releases, clawbacks, payouts and trouble.

``troubled_stream`` mixes, into a realistic orders stream, what the live ledger folds and what it
dead-letters: releases (some after refunds or cancellations), clawback refunds after release,
cancellations after release (refused when there is money left to reverse), payouts created,
paid and failed, a repeated event id, a refund of an unknown order, a release before its
placement, a payout paid before it was created, a refund whose running total does not add up, a
second placement of an order, a malformed value and a value with a duplicate JSON key.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta

from shared.events.orders_v1 import OrderCancelled, OrderPlaced, OrderRefunded
from shared.events.payouts_v1 import PayoutCreated, PayoutFailed, PayoutPaid, SettlementReleased
from shared.kafka.consumer import ConsumedRecord
from tests.support.ledger_events import T0, OrderStream, Sent, as_record, new_id

ORDERS_TOPIC = "orders.v1"
PAYOUTS_TOPIC = "payouts.v1"


def _release(order: OrderPlaced, days: int = 20) -> Sent:
    return Sent(
        new_id(),
        SettlementReleased.model_validate(
            {
                "order_id": order.order_id,
                "shop_id": order.shop_id,
                "currency": order.currency,
                "released_at": T0 + timedelta(days=days),
                "legs": [{"party_type": "merchant", "party_id": order.shop_id, "amount": 0}],
            }
        ),
    )


def _payout(payout_id: str, status: str, amount: int = 1000) -> Sent:
    fields: dict[str, object] = {
        "payout_id": payout_id,
        "run_id": "run-1",
        "party_type": "merchant",
        "party_id": "shop-1",
        "currency": "GBP",
        "amount": amount,
    }
    at = T0 + timedelta(days=22)
    if status == "created":
        return Sent(new_id(), PayoutCreated.model_validate({**fields, "created_at": at}))
    if status == "paid":
        return Sent(new_id(), PayoutPaid.model_validate({**fields, "paid_at": at}))
    failed = {**fields, "reason": "closed", "failed_at": at}
    return Sent(new_id(), PayoutFailed.model_validate(failed))


def troubled_stream(seed: int, orders: int) -> tuple[list[ConsumedRecord], int]:
    """Records in replay order (one partition per topic, time the same, so offsets order them:
    orders first, then payouts, then late orders) and how many of them at least the live ledger
    dead-letters (more: a cancellation after release is refused when it has money to reverse)."""
    rng = random.Random(seed)
    stream = OrderStream(seed=seed).events(orders)
    placed = [s.event for s in stream if isinstance(s.event, OrderPlaced)]
    refunded: dict[str, int] = {}
    cancelled: set[str] = set()
    for sent in stream:
        if isinstance(sent.event, OrderRefunded):
            refunded[sent.event.order_id] = sent.event.refunded_total
        elif isinstance(sent.event, OrderCancelled):
            cancelled.add(sent.event.order_id)
    released = [order for order in placed if rng.random() < 0.5]
    payouts = [_release(order) for order in released]
    payouts += [_payout("p-1", "created"), _payout("p-1", "paid"), _payout("p-2", "created")]
    payouts += [_payout("p-2", "failed"), _payout("p-1", "paid")]  # the same status again
    payouts.append(_payout("p-3", "paid"))  # dead-lettered: paid before created
    payouts.append(_release(placed[0]))  # released already: changes nothing
    late: list[Sent] = []
    for order in released[:30]:
        before = refunded.get(order.order_id, 0)
        if order.order_id in cancelled or before >= order.paid_total:
            continue
        amount = rng.randint(1, order.paid_total - before)
        late.append(
            Sent(
                new_id(),
                OrderRefunded(
                    order_id=order.order_id,
                    shop_id=order.shop_id,
                    refund_id=f"{order.order_id}-late",
                    amount=amount,
                    occurred_at=T0 + timedelta(days=21),
                    refunded_total=before + amount,
                ),
            )
        )
    for order in released[30:40]:
        if order.order_id not in cancelled:
            late.append(Sent(new_id(), OrderCancelled.model_validate(_cancel_of(order))))
    bad_refund = OrderRefunded(
        order_id=placed[1].order_id,
        shop_id=placed[1].shop_id,
        refund_id="wrong-total",
        amount=1,
        occurred_at=T0,
        refunded_total=10**6,
    )
    orphan = bad_refund.model_copy(update={"order_id": "never-placed", "refunded_total": 1})
    late += [Sent(new_id(), bad_refund), Sent(new_id(), orphan), Sent(new_id(), placed[2])]
    unplaced = OrderPlaced.model_validate({**placed[3].model_dump(), "order_id": "later"})
    early_release = _release(unplaced)
    records = [as_record(ORDERS_TOPIC, s, offset) for offset, s in enumerate(stream)]
    records.append(as_record(PAYOUTS_TOPIC, early_release, 0))
    records += [as_record(PAYOUTS_TOPIC, s, n) for n, s in enumerate(payouts, start=1)]
    records += [as_record(ORDERS_TOPIC, s, n) for n, s in enumerate(late, start=len(records))]
    repeated = dataclasses.replace(records[10], offset=len(records))
    malformed = dataclasses.replace(records[5], value=b"{not json", offset=len(records) + 1)
    value = records[7].value or b""
    doubled = dataclasses.replace(
        records[7], value=value[:-1] + b',"order_id":"x"}', offset=len(records) + 2
    )
    records += [repeated, malformed, doubled]
    # early release, paid before created, bad total, orphan, second placement, two bad values
    return records, 7


def _cancel_of(order: OrderPlaced) -> dict[str, object]:
    return {
        "order_id": order.order_id,
        "shop_id": order.shop_id,
        "occurred_at": T0 + timedelta(days=21),
    }
