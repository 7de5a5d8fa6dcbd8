"""Operator API schemas of the orders service (``XCreate`` in, ``XPublic`` out).

Amounts are int minor units of the order's currency; rates are int basis points.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.orders.domain.order import OrderState
from services.orders.domain.plans import Plan
from services.orders.domain.shop import Shop
from shared.privacy import Visibility

_EVERYTHING = Visibility(everything=True)
_ID_PATTERN = r"^[^\x00-\x1f\x7f]+$"
Text = Annotated[str, Field(min_length=1, max_length=200, pattern=_ID_PATTERN)]
ShopIdPath = Annotated[str, Path(min_length=1, max_length=200, pattern=_ID_PATTERN)]
OrderIdPath = Annotated[str, Path(min_length=1, max_length=200, pattern=_ID_PATTERN)]
ShopIdQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=200,
        pattern=_ID_PATTERN,
        description="The order's shop; needed when the order id is used by several shops",
    ),
]


class ShopCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shop_id: Text
    region: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]


class ShopPublic(BaseModel):
    shop_id: str
    region: str
    currency: str
    webhook_secret: str | None = Field(
        description="whsec_...; signs webhooks (Standard Webhooks). Shown only when the shop is "
        "created or its secret rotated; null otherwise"
    )
    previous_secret_active: bool = Field(
        description="True between a rotation and the retirement or expiry of the previous secret"
    )
    previous_secret_expires_at: datetime | None = Field(
        description="when the previous secret stops verifying (RFC 3339), while it is active"
    )

    @classmethod
    def of(cls, shop: Shop, now: datetime, *, show_secret: bool) -> ShopPublic:
        active = shop.previous_secret_valid(now)
        return cls(
            shop_id=shop.shop_id,
            region=shop.region,
            currency=shop.currency,
            webhook_secret=shop.webhook_secret if show_secret else None,
            previous_secret_active=active,
            previous_secret_expires_at=shop.previous_secret_expires_at if active else None,
        )


class PlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["shop", "open", "targeted"]
    rate_bps: Annotated[int, Field(strict=True, description="100..8000 bps")]
    skus: Annotated[list[Text], Field(max_length=10_000)] = []
    creator_ids: Annotated[list[Text], Field(max_length=1_000)] = []
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None


class PlanPublic(BaseModel):
    plan_id: str
    shop_id: str
    type: str
    rate_bps: int
    skus: list[str]
    creator_ids: list[str]
    starts_at: datetime | None
    ends_at: datetime | None

    @classmethod
    def of(cls, plan: Plan) -> PlanPublic:
        return cls(
            plan_id=plan.plan_id,
            shop_id=plan.shop_id,
            type=plan.type,
            rate_bps=plan.rate_bps,
            skus=sorted(plan.skus),
            creator_ids=sorted(plan.creator_ids),
            starts_at=plan.starts_at,
            ends_at=plan.ends_at,
        )


class WebhookAccepted(BaseModel):
    event_id: str = Field(description="Id of the recorded event (ce_id once published)")


class OrderLinePublic(BaseModel):
    line_no: int
    sku: str
    quantity: int
    unit_price: int
    discount: int
    plan_id: str | None
    plan_type: str | None
    rate_bps: int


class RefundPublic(BaseModel):
    refund_id: str
    amount: int | None = Field(description="null for a creator or an agency")
    occurred_at: datetime


class OrderPublic(BaseModel):
    """An order as the caller may see it (DOMAIN.md "A party's money stays private"; the rule is
    ``shared.privacy``). The admin and the order's merchant see all of it. A creator or an
    agency sees what its own commission is computed from: status and instants, currency, the
    lines (sku, quantity, price, discount, plan and rate), the creator and the agency; and not
    the order's totals or what gives another party's amount: ``shipping_fee``, ``paid_total``,
    ``refunded_total`` and refund amounts are null, ``terms`` (platform fee, cut, tax) null, and
    the agency's ``share_bps`` is shown to the agency only."""

    order_id: str
    shop_id: str
    status: str = Field(description="awaiting_placement, placed, delivered or cancelled")
    currency: str | None
    placed_at: datetime | None
    lines: list[OrderLinePublic]
    shipping_fee: int | None
    paid_total: int | None = Field(description="null for a creator or an agency")
    creator_id: str | None
    agency: dict[str, Any] | None
    terms: dict[str, Any] | None = Field(
        description="Region terms stamped at placement; null for a creator or an agency"
    )
    refunded_total: int | None = Field(description="null for a creator or an agency")
    refunds: list[RefundPublic]
    delivered_at: datetime | None
    cancelled_at: datetime | None
    held_facts: int = Field(description="Facts received before the placement, still waiting")

    @classmethod
    def of(
        cls,
        shop_id: str,
        state: OrderState,
        terms: dict[str, Any] | None,
        sees: Visibility = _EVERYTHING,
    ) -> OrderPublic:
        whole = cls._whole(shop_id, state, terms)
        if sees.everything:
            return whole
        agency = state.agency
        agency_seen: dict[str, Any] | None = None
        if agency is not None:
            agency_seen = {"agency_id": agency.agency_id}
            if sees.shows("agency", agency.agency_id):
                agency_seen["share_bps"] = agency.share_bps
        return whole.model_copy(
            update={
                "shipping_fee": None,
                "paid_total": None,
                "terms": None,
                "refunded_total": None,
                "refunds": [r.model_copy(update={"amount": None}) for r in whole.refunds],
                "agency": agency_seen,
            }
        )

    @classmethod
    def _whole(cls, shop_id: str, state: OrderState, terms: dict[str, Any] | None) -> OrderPublic:
        placement = state.placement
        agency = state.agency
        return cls(
            order_id=state.order_id,
            shop_id=shop_id,
            status=state.status,
            currency=placement.currency if placement else None,
            placed_at=placement.occurred_at if placement else None,
            lines=[
                OrderLinePublic(
                    line_no=number,
                    sku=line.sku,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    discount=line.discount,
                    plan_id=line.plan_id,
                    plan_type=line.plan_type,
                    rate_bps=line.rate_bps,
                )
                for number, line in enumerate(state.lines, start=1)
            ],
            shipping_fee=placement.shipping_fee if placement else None,
            paid_total=state.paid_total,
            creator_id=state.creator_id,
            agency={"agency_id": agency.agency_id, "share_bps": agency.share_bps}
            if agency
            else None,
            terms=terms,
            refunded_total=state.refunded_total,
            refunds=[
                RefundPublic(refund_id=r.refund_id, amount=r.amount, occurred_at=r.occurred_at)
                for r in state.refunds
            ],
            delivered_at=state.delivered_at,
            cancelled_at=state.cancelled_at,
            held_facts=len(state.pending),
        )
