"""Topic `orders.v1`: what the shops told us, published by the orders service.

Every record is keyed by order id, so one order's events stay in order on one partition; the orders
service publishes them in business order (placed, then delivered/refunded/cancelled) even when the
webhooks arrived otherwise.

`order.placed` is self-sufficient for the split: each line carries its resolved rate and plan, and
`terms` carries the region terms in force, so later plan or region changes never alter an order.
Invariants checked on read, so a bad producer is caught at the consumer's door (and DLQ'd):
- `base = unit_price * quantity - discount >= 0` per line, line numbers unique;
- a line with a plan has `100 <= rate_bps <= 8000`; a line without one has `rate_bps == 0`;
- a commission rate requires a creator (the orders service resolves no plan without one); an
  agency without a creator is accepted, as the webhook allows it, and simply earns nothing.
`order.refunded.refunded_total` is cumulative including this refund.
"""

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from shared.events.common import (
    Amount,
    Bps,
    Count,
    Currency,
    EventPart,
    Id,
    OrderEvent,
    PositiveAmount,
    Region,
    Timestamp,
)
from shared.events.envelope import KafkaRecord, record_of_json
from shared.events.terms import OrderTerms
from shared.events.topic_schema import TopicSchema

TOPIC = "orders.v1"
SOURCE = "/settlement/orders"
SCHEMA_VERSION = 1
MIN_PLAN_RATE_BPS = 100
MAX_PLAN_RATE_BPS = 8000

PlanType = Literal["targeted", "open", "shop"]


class OrderLine(EventPart):
    """One order line with the commission rate resolved for it at placement."""

    line_no: Count
    sku: Id
    quantity: Count
    unit_price: Amount
    discount: Amount
    """Minor units off the whole line, not per unit."""
    rate_bps: Bps
    plan_id: Id | None
    plan_type: PlanType | None

    @property
    def base(self) -> int:
        """Commissionable amount of the line, in minor units."""
        return self.unit_price * self.quantity - self.discount

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.base < 0:
            raise ValueError(f"line {self.line_no}: discount exceeds unit_price * quantity")
        if (self.plan_id is None) != (self.plan_type is None):
            raise ValueError(f"line {self.line_no}: plan_id and plan_type go together")
        if self.plan_id is None and self.rate_bps != 0:
            raise ValueError(f"line {self.line_no}: a rate without a plan")
        if self.plan_id is not None and not (
            MIN_PLAN_RATE_BPS <= self.rate_bps <= MAX_PLAN_RATE_BPS
        ):
            bounds = f"{MIN_PLAN_RATE_BPS}..{MAX_PLAN_RATE_BPS}"
            raise ValueError(f"line {self.line_no}: a plan rate must be within {bounds} bps")
        return self


class Agency(EventPart):
    """The creator's agency (MCN) and its share of the creator's commission after the cut."""

    agency_id: Id
    share_bps: Bps


class OrderPlaced(OrderEvent):
    TYPE = "order.placed"

    region: Region
    currency: Currency
    occurred_at: Timestamp
    lines: Annotated[list[OrderLine], Field(min_length=1)]
    shipping_fee: Amount
    """Minor units; paid by the buyer, never commissionable."""
    creator_id: Id | None = None
    agency: Agency | None = None
    terms: OrderTerms

    @property
    def paid_total(self) -> int:
        """What the buyer paid, in minor units: sum of line bases plus shipping."""
        return sum(line.base for line in self.lines) + self.shipping_fee

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        numbers = [line.line_no for line in self.lines]
        if len(set(numbers)) != len(numbers):
            raise ValueError("line_no must be unique within an order")
        if self.creator_id is None and any(line.rate_bps for line in self.lines):
            raise ValueError("a commission rate needs a creator")
        return self


class OrderDelivered(OrderEvent):
    TYPE = "order.delivered"

    delivered_at: Timestamp


class OrderRefunded(OrderEvent):
    TYPE = "order.refunded"

    refund_id: Id
    amount: PositiveAmount
    """Minor units refunded by this refund."""
    occurred_at: Timestamp
    refunded_total: PositiveAmount
    """Minor units refunded so far, this refund included; never above the order's paid_total."""

    @model_validator(mode="after")
    def _cumulative(self) -> Self:
        if self.refunded_total < self.amount:
            raise ValueError("refunded_total includes this refund, so it cannot be below amount")
        return self


class OrderCancelled(OrderEvent):
    TYPE = "order.cancelled"

    occurred_at: Timestamp


OrdersEvent = OrderPlaced | OrderDelivered | OrderRefunded | OrderCancelled
_MODELS: tuple[type[OrdersEvent], ...] = (
    OrderPlaced,
    OrderDelivered,
    OrderRefunded,
    OrderCancelled,
)
_SCHEMA: TopicSchema[OrdersEvent] = TopicSchema(
    topic=TOPIC, source=SOURCE, version=SCHEMA_VERSION, models=_MODELS, upcasters={}
)
"""Add an upcaster (version n -> n + 1) to `upcasters` with each new SCHEMA_VERSION."""
EVENT_TYPES = _SCHEMA.event_types
upcast = _SCHEMA.upcast
parse = _SCHEMA.parse
parse_envelope = _SCHEMA.parse_envelope
to_envelope = _SCHEMA.to_envelope


def record_of_data(
    type_name: str, order_id: str, data_json: bytes, *, event_id: str, time: datetime
) -> KafkaRecord:
    """An ``orders.v1`` record (keyed by ``order_id``) whose value the producer encoded itself:
    ``data_json`` must be the compact JSON that ``to_envelope`` + ``to_kafka`` would write for
    the event of ``type_name`` (one of ``EVENT_TYPES``), fields in model order. For the orders
    service's hot path, which encodes straight from its domain types; its tests hold it to the
    bytes of the model path."""
    if type_name not in EVENT_TYPES:
        raise ValueError(f"{TOPIC} has no event type {type_name!r}")
    return record_of_json(
        type_name,
        SOURCE,
        order_id,
        data_json,
        event_id=event_id,
        time=time,
        schemaversion=SCHEMA_VERSION,
    )
