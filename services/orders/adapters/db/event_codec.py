"""The order's event stream as JSON, for the ``orders.events`` column.

Each stored entry is ``{"seq", "event_id", "recorded_at", "kind", "data"}``. ``kind`` names the
domain event (``placed``, ``delivered``, ``refunded``, ``cancelled``, ``held``, ``held_dropped``);
amounts stay JSON ints (minor units) and instants RFC 3339 strings with their original offset.
Decoding what was encoded gives back an equal event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from services.orders.domain.events import (
    FactHeld,
    HeldFactDropped,
    OrderEvent,
    OrderPlaced,
    PricedLine,
    RecordedEvent,
)
from services.orders.domain.facts import Agency, Cancelled, Delivered, Refunded
from services.orders.domain.plans import PlanType

LaterFact = Delivered | Refunded | Cancelled


@dataclass(frozen=True, slots=True)
class StoredEvent(RecordedEvent):
    """A ``RecordedEvent`` with its JSON form (the ``orders.events`` entry)."""

    def to_json(self) -> dict[str, Any]:
        return recorded_to_json(self)

    @classmethod
    def from_json(cls, entry: dict[str, Any]) -> StoredEvent:
        return cls(
            seq=entry["seq"],
            event_id=entry["event_id"],
            recorded_at=datetime.fromisoformat(entry["recorded_at"]),
            event=decode_event(entry["kind"], entry["data"]),
        )


def recorded_to_json(recorded: RecordedEvent) -> dict[str, Any]:
    """The ``orders.events`` entry of one recorded event."""
    kind, data = encode_event(recorded.event)
    return {
        "seq": recorded.seq,
        "event_id": recorded.event_id,
        "recorded_at": recorded.recorded_at.isoformat(),
        "kind": kind,
        "data": data,
    }


def encode_event(event: OrderEvent) -> tuple[str, dict[str, Any]]:
    if isinstance(event, OrderPlaced):
        return "placed", _encode_placed(event)
    if isinstance(event, FactHeld):
        return "held", _encode_fact(event.fact)
    if isinstance(event, HeldFactDropped):
        return "held_dropped", {"fact": _encode_fact(event.fact), "reason": event.reason}
    data = _encode_fact(event)
    return data.pop("kind"), data


def decode_event(kind: str, data: dict[str, Any]) -> OrderEvent:
    if kind == "placed":
        return _decode_placed(data)
    if kind == "held":
        return FactHeld(fact=_decode_fact(data))
    if kind == "held_dropped":
        return HeldFactDropped(fact=_decode_fact(data["fact"]), reason=data["reason"])
    return _decode_fact({**data, "kind": kind})


def _encode_fact(fact: LaterFact) -> dict[str, Any]:
    data: dict[str, Any] = {"order_id": fact.order_id, "occurred_at": fact.occurred_at.isoformat()}
    if isinstance(fact, Delivered):
        return {"kind": "delivered", **data}
    if isinstance(fact, Refunded):
        return {"kind": "refunded", **data, "refund_id": fact.refund_id, "amount": fact.amount}
    return {"kind": "cancelled", **data}


def _decode_fact(data: dict[str, Any]) -> LaterFact:
    order_id = data["order_id"]
    occurred_at = datetime.fromisoformat(data["occurred_at"])
    kind = data["kind"]
    if kind == "delivered":
        return Delivered(order_id=order_id, occurred_at=occurred_at)
    if kind == "refunded":
        return Refunded(
            order_id=order_id,
            occurred_at=occurred_at,
            refund_id=data["refund_id"],
            amount=data["amount"],
        )
    if kind == "cancelled":
        return Cancelled(order_id=order_id, occurred_at=occurred_at)
    raise ValueError(f"unknown stored fact kind {kind!r}")


def _encode_placed(event: OrderPlaced) -> dict[str, Any]:
    return {
        "order_id": event.order_id,
        "occurred_at": event.occurred_at.isoformat(),
        "currency": event.currency,
        "lines": [
            {
                "sku": line.sku,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "discount": line.discount,
                "plan_id": line.plan_id,
                "plan_type": line.plan_type,
                "rate_bps": line.rate_bps,
            }
            for line in event.lines
        ],
        "shipping_fee": event.shipping_fee,
        "creator_id": event.creator_id,
        "agency": (
            {"agency_id": event.agency.agency_id, "share_bps": event.agency.share_bps}
            if event.agency
            else None
        ),
    }


def _decode_placed(data: dict[str, Any]) -> OrderPlaced:
    agency = data["agency"]
    return OrderPlaced(
        order_id=data["order_id"],
        occurred_at=datetime.fromisoformat(data["occurred_at"]),
        currency=data["currency"],
        lines=tuple(
            PricedLine(
                sku=line["sku"],
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                discount=line["discount"],
                plan_id=line["plan_id"],
                plan_type=cast(PlanType | None, line["plan_type"]),
                rate_bps=line["rate_bps"],
            )
            for line in data["lines"]
        ),
        shipping_fee=data["shipping_fee"],
        creator_id=data["creator_id"],
        agency=Agency(agency["agency_id"], agency["share_bps"]) if agency else None,
    )
