"""Payout runs: pay every payable payee its whole available balance, then record the outcome.

A run is two steps. First one transaction: the run row, a `created` payout per payable payee,
the payees' available balances reduced by the same amounts, and `payout.created` in the outbox;
the balances are locked, so a concurrent run waits and then finds nothing left to pay. Then, per
payout, the provider is called and the outcome is committed with `payout.paid` or
`payout.failed`; a failure returns the amount to the payee's available balance.

Settling a payout holds its row lock across the provider call, so one process at a time talks to
the bank about it; a payout left `created` by a run that stopped (crash, deploy) is settled by
the next run, with the payout id as the provider's idempotency key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from services.payouts.adapters.db.balances_repository import (
    add_to_available,
    lock_payable_balances,
)
from services.payouts.adapters.db.holds_repository import database_now
from services.payouts.adapters.db.payouts_repository import (
    PayoutRow,
    create_payout,
    finish_payout,
    get_payout,
    lock_unfinished_payout,
    start_run,
    unfinished_payout_ids,
)
from services.payouts.domain.balances import decide_payouts
from services.payouts.service.metrics import PayoutsMetrics
from services.payouts.service.ports import PayoutInstruction, PayoutProvider, ProviderOutcome
from services.payouts.service.publishing import publish
from shared.events import payouts_v1
from shared.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PayoutRun:
    run_id: str
    trigger: str
    started_at: datetime
    payouts: list[PayoutRow]


@dataclass(frozen=True, slots=True)
class PayoutRunner:
    """What a run needs; built once by the composition root."""

    engine: AsyncEngine
    outbox: Table
    topic: str
    provider: PayoutProvider
    metrics: PayoutsMetrics | None = None

    async def run(self, *, trigger: str, scheduled_for: date | None = None) -> PayoutRun | None:
        """Create and settle the run's payouts. Returns None only for a scheduled run whose day
        already has one (another replica, or an earlier tick, ran it)."""
        run_id = str(uuid.uuid4())
        async with self.engine.begin() as conn:
            started_at = await start_run(conn, run_id, trigger, scheduled_for)
            if started_at is None:
                return None
            decisions = decide_payouts(await lock_payable_balances(conn))
            created = [
                await create_payout(conn, str(uuid.uuid4()), run_id, d.payee, d.amount)
                for d in decisions
            ]
            await add_to_available(conn, {d.payee: -d.amount for d in decisions})
            await publish(
                conn,
                self.outbox,
                self.topic,
                [(str(uuid.uuid4()), _created_event(p)) for p in created],
                time=started_at,
            )
        self._count("created", len(created))
        log.info("payout_run_created", run_id=run_id, trigger=trigger, payouts=len(created))
        settled = [await self._settle(payout) for payout in created]
        await self.settle_leftovers()
        return PayoutRun(run_id, trigger, started_at, settled)

    async def settle_leftovers(self) -> int:
        """Settle payouts an earlier run left `created`; returns how many this call settled."""
        async with self.engine.connect() as conn:
            leftovers = await unfinished_payout_ids(conn)
        settled = 0
        for payout_id in leftovers:
            if await self._settle_by_id(payout_id) is not None:
                settled += 1
        if settled:
            log.warning("unfinished_payouts_settled", count=settled)
        return settled

    async def _settle(self, payout: PayoutRow) -> PayoutRow:
        settled = await self._settle_by_id(payout.payout_id)
        if settled is not None:
            return settled
        async with self.engine.connect() as conn:  # another process settled it meanwhile
            return await get_payout(conn, payout.payout_id) or payout

    async def _settle_by_id(self, payout_id: str) -> PayoutRow | None:
        async with self.engine.begin() as conn:
            payout = await lock_unfinished_payout(conn, payout_id)
            if payout is None:
                return None
            outcome = await self._ask_provider(payout)
            status = "paid" if outcome.paid else "failed"
            finished = await finish_payout(conn, payout.payout_id, status, outcome.reason)
            if finished is None:
                raise RuntimeError(f"payout {payout_id} changed while locked")
            now = finished.completed_at or await database_now(conn)
            if not outcome.paid:
                await add_to_available(conn, {finished.payee: finished.amount})
            await publish(
                conn,
                self.outbox,
                self.topic,
                [(str(uuid.uuid4()), _outcome_event(finished, outcome, now))],
                time=now,
            )
        self._count(status, 1)
        return finished

    async def _ask_provider(self, payout: PayoutRow) -> ProviderOutcome:
        instruction = PayoutInstruction(
            payout.payout_id, payout.party_type, payout.party_id, payout.currency, payout.amount
        )
        try:
            return await self.provider.pay(instruction)
        except Exception as error:  # the provider's failure is the payout's, not the run's
            log.exception("payout_provider_error", payout_id=payout.payout_id)
            return ProviderOutcome.failure(f"{type(error).__name__}: {error}"[:2000])

    def _count(self, outcome: str, n: int) -> None:
        if self.metrics is not None and n:
            self.metrics.payouts.labels(outcome=outcome).inc(n)


def _fields(payout: PayoutRow) -> dict[str, object]:
    return {
        "payout_id": payout.payout_id,
        "run_id": payout.run_id,
        "party_type": payout.party_type,
        "party_id": payout.party_id,
        "currency": payout.currency,
        "amount": payout.amount,
    }


def _created_event(payout: PayoutRow) -> payouts_v1.PayoutCreated:
    return payouts_v1.PayoutCreated.model_validate(
        {**_fields(payout), "created_at": payout.created_at}
    )


def _outcome_event(
    payout: PayoutRow, outcome: ProviderOutcome, now: datetime
) -> payouts_v1.PayoutsEvent:
    if outcome.paid:
        return payouts_v1.PayoutPaid.model_validate({**_fields(payout), "paid_at": now})
    return payouts_v1.PayoutFailed.model_validate(
        {**_fields(payout), "failed_at": now, "reason": outcome.reason or "unknown"}
    )
