"""``/v1/shops/{shop_id}/plans``: add a commission plan (admin), list a shop's plans."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.orders.api.context import ContextDep
from services.orders.api.schemas import PlanCreate, PlanPublic, ShopIdPath
from services.orders.domain.plans import Plan
from services.orders.service.plans import create_plan, shop_plans
from shared.http.auth import AdminDep, PrincipalDep, require_read_access

router = APIRouter(tags=["plans"])


@router.post("/v1/shops/{shop_id}/plans", status_code=201)
async def add(
    shop_id: ShopIdPath, body: PlanCreate, _: AdminDep, context: ContextDep
) -> PlanPublic:
    """Rates 100..8000 bps; SKUs required for open and targeted plans; 1..30 creators on a
    targeted plan only (422 otherwise); 404 for an unknown shop."""
    plan = Plan(
        plan_id=f"plan_{uuid.uuid4().hex}",
        shop_id=shop_id,
        type=body.type,
        rate_bps=body.rate_bps,
        skus=frozenset(body.skus),
        creator_ids=frozenset(body.creator_ids),
        starts_at=body.starts_at,
        ends_at=body.ends_at,
    )
    return PlanPublic.of(await create_plan(context.plans, plan))


@router.get("/v1/shops/{shop_id}/plans")
async def list_(
    shop_id: ShopIdPath, principal: PrincipalDep, context: ContextDep
) -> list[PlanPublic]:
    """The shop's plans, oldest first (admin, or a read token of this shop)."""
    require_read_access(principal, "merchant", shop_id)
    return [PlanPublic.of(plan) for plan in await shop_plans(context.plans, shop_id)]
