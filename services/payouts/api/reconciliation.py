"""`GET /v1/reconciliation` (admin): where this service and the ledger, or this service and the
payout provider, disagree."""

from __future__ import annotations

from fastapi import APIRouter

from services.payouts.api.deps import ReconcilerDep
from services.payouts.api.schemas import ReconciliationPublic
from services.payouts.service.ports import LedgerUnavailableError, ProviderUnavailableError
from shared.http.auth import AdminDep
from shared.http.problems import ProblemError


def reconciliation_router() -> APIRouter:
    router = APIRouter(tags=["reconciliation"])

    @router.get("/v1/reconciliation")
    async def reconcile(_: AdminDep, reconciler: ReconcilerDep) -> ReconciliationPublic:
        """Every party and currency whose pending (held in holds the ledger has not released)
        or available balance here differs from the ledger's, with both figures, and every
        payout of the last `PAYOUTS_RECONCILIATION_PAYOUT_DAYS` whose provider status differs
        from ours. Empty lists when everything agrees. 502 when the ledger or the provider
        cannot be read."""
        try:
            found = await reconciler.reconcile()
        except LedgerUnavailableError as error:
            raise ProblemError(
                502, "Ledger unavailable", str(error), type_suffix="ledger-unavailable"
            ) from None
        except ProviderUnavailableError as error:
            raise ProblemError(
                502, "Payout provider unavailable", str(error), type_suffix="provider-unavailable"
            ) from None
        return ReconciliationPublic.model_validate(found)

    return router
