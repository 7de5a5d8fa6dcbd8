"""``/v1/shops``: create a shop (idempotent), rotate and retire its webhook secret (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.orders.api.context import ContextDep
from services.orders.api.schemas import ShopCreate, ShopIdPath, ShopPublic
from services.orders.service.shops import create_shop, retire_secret, rotate_secret
from shared.http.auth import AdminDep

router = APIRouter(tags=["shops"])


@router.post("/v1/shops", status_code=201)
async def create(
    body: ShopCreate, _: AdminDep, context: ContextDep, response: Response
) -> ShopPublic:
    """201 with the new shop and its webhook secret; 200 with the same shop, without its secret
    (a secret is shown only when created or rotated), when it already exists in that region;
    409 when it exists in another region."""
    shop, created = await create_shop(context.shop_keeping, body.shop_id, body.region)
    response.status_code = 201 if created else 200
    response.headers["Cache-Control"] = "no-store"  # carries a secret
    return ShopPublic.of(shop, context.shop_keeping.clock(), show_secret=created)


@router.post("/v1/shops/{shop_id}/secrets:rotate")
async def rotate(
    shop_id: ShopIdPath, _: AdminDep, context: ContextDep, response: Response
) -> ShopPublic:
    """A new current secret, shown this once; the previous one verifies too until retired or
    expired (``previous_secret_expires_at``; 409 while it is still valid)."""
    response.headers["Cache-Control"] = "no-store"
    rotated = await rotate_secret(context.shop_keeping, shop_id)
    return ShopPublic.of(rotated, context.shop_keeping.clock(), show_secret=True)


@router.post("/v1/shops/{shop_id}/secrets:retire")
async def retire(
    shop_id: ShopIdPath, _: AdminDep, context: ContextDep, response: Response
) -> ShopPublic:
    """Only the current secret verifies from now on (idempotent)."""
    response.headers["Cache-Control"] = "no-store"
    retired = await retire_secret(context.shop_keeping, shop_id)
    return ShopPublic.of(retired, context.shop_keeping.clock(), show_secret=False)
