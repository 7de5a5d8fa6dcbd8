"""Reconciling this service with the ledger and the payout provider: `GET /v1/reconciliation`
and the worker's periodic reconciliation both run `Reconciler.reconcile`.

A look reads the ledger's balances (over its API), then this service's own view in one
snapshot, then the provider's status of the payouts created in the window. The two services
are only equal once both have handled the same events, so a difference seen once may be an
event in flight; when a look finds any, a second look `confirm_after_s` later keeps only those
seen twice with the same figures (`persistent`). With `confirm_after_s = 0` one look is the
answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.payouts.domain.balances import PAYEE_PARTY_TYPES
from services.payouts.domain.reconciliation import (
    BalanceDifference,
    PayoutDifference,
    compare_balances,
    compare_payouts,
    persistent,
)
from services.payouts.service.metrics import PayoutsMetrics
from services.payouts.service.ports import (
    LedgerBalances,
    PayoutStatusLookup,
    PayoutsView,
    ProviderUnavailableError,
)


@dataclass(frozen=True, slots=True)
class Reconciliation:
    checked_at: datetime
    """Database time of the (last) look at this service's own data."""
    balances: list[BalanceDifference]
    payouts: list[PayoutDifference]
    payouts_checked: bool
    """False when the provider cannot be asked about payouts (then `payouts` is empty)."""

    @property
    def agrees(self) -> bool:
        return not self.balances and not self.payouts


@dataclass(frozen=True)
class Reconciler:
    """What a reconciliation needs; built once by the composition root."""

    view: PayoutsView
    ledger: LedgerBalances
    provider: PayoutStatusLookup | None
    payout_window: timedelta
    """Payouts created this long before the look are compared with the provider."""
    confirm_after_s: float = 2.0
    metrics: PayoutsMetrics | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def reconcile(self) -> Reconciliation:
        """Raises LedgerUnavailableError or ProviderUnavailableError when a side cannot be read
        (any other error is a bug); the metrics count the failure and keep the last figures."""
        try:
            result = await self._look()
            if not result.agrees and self.confirm_after_s > 0:
                await self.sleep(self.confirm_after_s)
                again = await self._look()
                result = Reconciliation(
                    again.checked_at,
                    persistent(result.balances, again.balances),
                    persistent(result.payouts, again.payouts),
                    again.payouts_checked,
                )
        except Exception:
            if self.metrics is not None:
                self.metrics.record_reconciliation_failure()
            raise
        if self.metrics is not None:
            self.metrics.record_reconciliation(len(result.balances), len(result.payouts))
        return result

    async def _look(self) -> Reconciliation:
        ledger = await self.ledger.all_balances()
        ours = await self.view.read(self.payout_window)
        balances = compare_balances(
            ours.pending, ours.available, ledger, payee_types=PAYEE_PARTY_TYPES
        )
        if self.provider is None:
            return Reconciliation(ours.checked_at, balances, [], payouts_checked=False)
        try:
            statuses = await self.provider.statuses([p.payout_id for p in ours.payouts])
        except Exception as error:
            raise ProviderUnavailableError(f"{type(error).__name__}: {error}") from error
        return Reconciliation(
            ours.checked_at, balances, compare_payouts(ours.payouts, statuses), True
        )
