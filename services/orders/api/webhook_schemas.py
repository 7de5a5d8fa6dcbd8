"""Webhook bodies (DOMAIN.md, Webhooks) as strict pydantic models, and their domain facts.

Amounts, quantities and rates are strict ints: floats (even ``1.0``), numeric strings and
booleans are rejected (422). Amounts are at most 10^12 minor units, quantities 1..10^6, at most
500 lines (``services.orders.domain.bounds``; the bounds that need more than one field or the
receipt time, ``paid_total`` and ``occurred_at``, are checked by the domain). ``occurred_at`` is
RFC 3339 with an explicit offset. Fields the contract does not name are ignored, so an upstream
that adds a field keeps working.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from services.orders.domain.bounds import MAX_AMOUNT, MAX_LINES, MAX_QUANTITY
from services.orders.domain.facts import Agency, Cancelled, Delivered, Fact, Line, Placed, Refunded
from shared.events.common import Timestamp

Text = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
"""An id: 1..200 characters, no control characters (PostgreSQL text cannot hold NUL)."""
StrictInt = Annotated[int, Field(strict=True)]
Amount = Annotated[int, Field(strict=True, ge=0, le=MAX_AMOUNT)]
"""Minor units, 0..10^12."""


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class LineCreate(_Strict):
    sku: Text
    quantity: Annotated[int, Field(strict=True, ge=1, le=MAX_QUANTITY)]
    unit_price: Amount
    """Minor units per unit."""
    discount: Amount = 0
    """Minor units off the whole line."""


class AgencyCreate(_Strict):
    agency_id: Text
    share_bps: Annotated[int, Field(strict=True, ge=0, le=10_000)]


class PlacedData(_Strict):
    order_id: Text
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    lines: Annotated[list[LineCreate], Field(min_length=1, max_length=MAX_LINES)]
    shipping_fee: Amount = 0
    creator_id: Text | None = None
    agency: AgencyCreate | None = None


class OrderRef(_Strict):
    order_id: Text


class RefundedData(_Strict):
    order_id: Text
    refund_id: Text
    amount: Annotated[int, Field(strict=True, ge=1, le=MAX_AMOUNT)]


class _Webhook(_Strict):
    occurred_at: Annotated[Timestamp, Field(strict=False)]


class PlacedWebhook(_Webhook):
    type: Literal["order.placed"]
    data: PlacedData


class DeliveredWebhook(_Webhook):
    type: Literal["order.delivered"]
    data: OrderRef


class RefundedWebhook(_Webhook):
    type: Literal["order.refunded"]
    data: RefundedData


class CancelledWebhook(_Webhook):
    type: Literal["order.cancelled"]
    data: OrderRef


WebhookCreate = Annotated[
    PlacedWebhook | DeliveredWebhook | RefundedWebhook | CancelledWebhook,
    Field(discriminator="type"),
]
WEBHOOK_TYPES = ("order.placed", "order.delivered", "order.refunded", "order.cancelled")
webhook_adapter: TypeAdapter[WebhookCreate] = TypeAdapter(WebhookCreate)


def webhook_body_schema() -> dict[str, Any]:
    """The JSON schema of a webhook body with every ``$ref`` inlined, so it can sit inside an
    OpenAPI document (whose root has no ``$defs``). The models are not recursive."""
    schema = webhook_adapter.json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/$defs/"):
                return inline(definitions[reference.removeprefix("#/$defs/")])
            # A discriminator mapping names $defs too; propertyName alone still says it all.
            return {
                key: {"propertyName": value["propertyName"]}
                if key == "discriminator" and isinstance(value, dict)
                else inline(value)
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    inlined: dict[str, Any] = inline(schema)
    return inlined


def to_fact(webhook: WebhookCreate) -> Fact:
    """The domain fact a parsed webhook states."""
    at = webhook.occurred_at
    if isinstance(webhook, PlacedWebhook):
        data = webhook.data
        return Placed(
            order_id=data.order_id,
            occurred_at=at,
            currency=data.currency,
            lines=tuple(Line(li.sku, li.quantity, li.unit_price, li.discount) for li in data.lines),
            shipping_fee=data.shipping_fee,
            creator_id=data.creator_id,
            agency=Agency(data.agency.agency_id, data.agency.share_bps) if data.agency else None,
        )
    if isinstance(webhook, DeliveredWebhook):
        return Delivered(order_id=webhook.data.order_id, occurred_at=at)
    if isinstance(webhook, RefundedWebhook):
        return Refunded(
            order_id=webhook.data.order_id,
            occurred_at=at,
            refund_id=webhook.data.refund_id,
            amount=webhook.data.amount,
        )
    return Cancelled(order_id=webhook.data.order_id, occurred_at=at)
