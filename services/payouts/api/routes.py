"""`GET /v1/holds/{order_id}`, `POST /v1/payout-runs`, `GET /v1/payouts`.

Privacy (DOMAIN.md "A party's money stays private", one rule in ``shared.privacy``): a hold shows
the admin and the order's merchant every party's amount, a creator or an agency only its own leg
(its status and instants are the order's and shown to every party); payouts are listed for the
admin, or for a read token only its own party's; payout runs and reconciliation are admin-only.
"""

from __future__ import annotations

from fastapi import APIRouter, Query

from services.payouts.api.deps import PayoutRunnerDep, QueriesDep
from services.payouts.api.schemas import HoldPublic, PayoutListPublic, PayoutRunPublic
from shared.http.auth import AdminDep, PrincipalDep, require_read_access
from shared.http.ids import ID_PATTERN, IdPath, ShopIdQuery
from shared.http.order_scope import resolve_shop
from shared.privacy import visibility


def payouts_router() -> APIRouter:
    router = APIRouter(tags=["payouts"])

    @router.get("/v1/holds/{order_id}")
    async def read_hold(
        order_id: IdPath,
        principal: PrincipalDep,
        queries: QueriesDep,
        shop_id: ShopIdQuery = None,
    ) -> HoldPublic:
        """The order's hold; an order is (shop_id, order_id). The admin and the order's
        merchant see every party's amount; a creator or an agency in the hold sees only its
        own; anyone else gets 404, as if the order did not exist (``shared.privacy``). Several
        shops' orders matching without ``shop_id`` answer 409 listing the shops."""
        found = {hold.shop_id: hold for hold in await queries.holds_of_order_id(order_id)}
        parties = {
            shop: {("merchant", shop), *(a.party for a in hold.amounts)}
            for shop, hold in found.items()
        }
        shop = resolve_shop(principal, order_id, parties, shop_id)
        hold, sees = found[shop], visibility(principal, shop)
        return HoldPublic.of(hold, [a for a in hold.amounts if sees.shows(*a.party)])

    @router.post("/v1/payout-runs", status_code=201)
    async def create_payout_run(_: AdminDep, runner: PayoutRunnerDep) -> PayoutRunPublic:
        """Pay every payee whose available balance reaches its minimum all of it, now."""
        run = await runner.run(trigger="operator")
        if run is None:  # only a scheduled run can collide with an earlier one
            raise RuntimeError("an operator run always starts")
        return PayoutRunPublic.model_validate(run)

    @router.get("/v1/payouts")
    async def read_payouts(
        principal: PrincipalDep,
        queries: QueriesDep,
        party_type: str | None = Query(None, max_length=32, pattern=ID_PATTERN),
        party_id: str | None = Query(None, min_length=1, max_length=200, pattern=ID_PATTERN),
    ) -> PayoutListPublic:
        """Payouts, newest first (at most 500). A read token sees only its own party's payouts
        (its party is the default filter); the admin may filter by party or list all."""
        if not principal.is_admin:
            party_type = party_type or principal.party_type
            party_id = party_id or principal.party_id
            require_read_access(principal, str(party_type), str(party_id))
        found = await queries.payouts(party_type=party_type, party_id=party_id)
        return PayoutListPublic.model_validate({"payouts": found})

    return router
