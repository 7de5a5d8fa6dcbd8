"""`GET /v1/holds/{order_id}`, `POST /v1/payout-runs`, `GET /v1/payouts`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.payouts.adapters.db.holds_repository import holds_of_order_id
from services.payouts.adapters.db.payouts_repository import list_payouts
from services.payouts.api.deps import EngineDep, PayoutRunnerDep
from services.payouts.api.schemas import HoldPublic, PayoutListPublic, PayoutPublic, PayoutRunPublic
from shared.http.auth import AdminDep, PrincipalDep, require_read_access
from shared.http.order_scope import resolve_shop


def payouts_router() -> APIRouter:
    router = APIRouter(tags=["payouts"])

    @router.get("/v1/holds/{order_id}")
    async def read_hold(
        order_id: str,
        principal: PrincipalDep,
        engine: EngineDep,
        shop_id: Annotated[str | None, Query(description="the order's shop")] = None,
    ) -> HoldPublic:
        """The order's hold; an order is (shop_id, order_id). The admin sees every party's
        amount; the order's merchant, or a read token of a party in the hold, sees only that
        party's amount; anyone else gets 404, as if the order did not exist. Several shops'
        orders matching without ``shop_id`` answer 409 listing the shops."""
        async with engine.connect() as conn:
            found = {hold.shop_id: hold for hold in await holds_of_order_id(conn, order_id)}
        parties = {
            shop: {("merchant", shop), *(a.party for a in hold.amounts)}
            for shop, hold in found.items()
        }
        hold = found[resolve_shop(principal, order_id, parties, shop_id)]
        visible = tuple(a for a in hold.amounts if principal.can_read(a.party_type, a.party_id))
        return HoldPublic.of(hold, visible)

    @router.post("/v1/payout-runs", status_code=201)
    async def create_payout_run(_: AdminDep, runner: PayoutRunnerDep) -> PayoutRunPublic:
        """Pay every payee whose available balance reaches its minimum all of it, now."""
        run = await runner.run(trigger="operator")
        if run is None:  # only a scheduled run can collide with an earlier one
            raise RuntimeError("an operator run always starts")
        return PayoutRunPublic(
            run_id=run.run_id,
            trigger=run.trigger,
            started_at=run.started_at,
            payouts=[PayoutPublic.of(p) for p in run.payouts],
        )

    @router.get("/v1/payouts")
    async def read_payouts(
        principal: PrincipalDep,
        engine: EngineDep,
        party_type: str | None = Query(None, max_length=32),
        party_id: str | None = Query(None, min_length=1, max_length=200),
    ) -> PayoutListPublic:
        """Payouts, newest first (at most 500). A read token sees only its own party's payouts
        (its party is the default filter); the admin may filter by party or list all."""
        if not principal.is_admin:
            party_type = party_type or principal.party_type
            party_id = party_id or principal.party_id
            require_read_access(principal, str(party_type), str(party_id))
        async with engine.connect() as conn:
            rows = await list_payouts(conn, party_type=party_type, party_id=party_id)
        return PayoutListPublic(payouts=[PayoutPublic.of(row) for row in rows])

    return router
