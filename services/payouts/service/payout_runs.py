"""Payout runs: pay every payable payee its whole available balance, then record the outcome.

A run is two steps. First one transaction: the run row, a `created` payout per payable payee,
the payees' available balances reduced by the same amounts, and `payout.created` in the outbox;
the balances are locked, so a concurrent run waits and then finds nothing left to pay. Then, per
payout, the provider is called and a definite answer is committed with `payout.paid` or
`payout.failed`; a refusal returns the amount to the payee's available balance. A call without a
definite answer (an exception, or none within `provider_timeout_s`) leaves the payout `created`
and due again after a backoff (`domain.payout_attempts`); `settle_due` (the retry worker, and
every run) asks again with the same payout id, the provider's idempotency key.

Settling a payout holds its row lock (`FOR UPDATE SKIP LOCKED`) across the provider call, bounded
by the timeout, so one process at a time talks to the bank about it and only one settles it.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from services.payouts.domain.balances import decide_payouts
from services.payouts.domain.payout_attempts import (
    NoAnswer,
    Paid,
    ProviderAnswer,
    Refused,
    RetryPolicy,
    after_call,
)
from services.payouts.domain.payouts import Payout
from services.payouts.service.metrics import PayoutsMetrics
from services.payouts.service.ports import PayoutInstruction, PayoutProvider, UnitOfWorkFactory
from services.payouts.service.publishing import publish
from shared.events import payouts_v1
from shared.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PayoutRun:
    run_id: str
    trigger: str
    started_at: datetime
    payouts: list[Payout]


@dataclass(frozen=True, slots=True)
class PayoutRunner:
    """What a run needs; built once by the composition root."""

    new_uow: UnitOfWorkFactory
    topic: str
    provider: PayoutProvider
    metrics: PayoutsMetrics | None = None
    provider_timeout_s: float = 5.0
    """A provider call not answered within this is a call without a definite answer."""
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(5.0, 300.0))

    async def run(self, *, trigger: str, scheduled_for: date | None = None) -> PayoutRun | None:
        """Create and settle the run's payouts. Returns None only for a scheduled run whose day
        already has one (another replica, or an earlier tick, ran it). A payout the provider
        did not answer is returned `created`."""
        run_id = str(uuid.uuid4())
        async with self.new_uow() as uow:
            started_at = await uow.payouts.start_run(run_id, trigger, scheduled_for)
            if started_at is None:
                return None
            decisions = decide_payouts(await uow.balances.lock_payable())
            created = [
                await uow.payouts.create(str(uuid.uuid4()), run_id, d.payee, d.amount)
                for d in decisions
            ]
            await uow.balances.add_to_available({d.payee: -d.amount for d in decisions})
            await publish(
                uow,
                self.topic,
                [(str(uuid.uuid4()), _created_event(p)) for p in created],
                time=started_at,
            )
            await uow.commit()
        self._count("created", len(created))
        log.info("payout_run_created", run_id=run_id, trigger=trigger, payouts=len(created))
        settled = [await self._settle(payout) for payout in created]
        await self.settle_due()
        return PayoutRun(run_id, trigger, started_at, settled)

    async def settle_due(self, limit: int = 1_000, stop: asyncio.Event | None = None) -> int:
        """Ask the provider again about every unsettled payout whose backoff has passed (left by
        a stopped run, or not answered before), oldest due first, until `stop` is set; returns
        how many this call settled. Safe in several processes at once: a payout another one
        holds is skipped, one not due any more (settled or postponed meanwhile) too."""
        async with self.new_uow() as uow:
            due = await uow.payouts.due_ids(limit)
        settled = 0
        for payout_id in due:
            if stop is not None and stop.is_set():
                break
            row = await self._settle_by_id(payout_id)
            if row is not None and row.status != "created":
                settled += 1
        if settled:
            log.warning("unsettled_payouts_settled", count=settled)
        return settled

    async def _settle(self, payout: Payout) -> Payout:
        """The run's own call for a payout it created, and the payout as it then stands. If
        another process (the retry worker, another replica) holds it, the run waits for that
        process's outcome rather than answering a payout it is still settling as `created`."""
        settled = await self._settle_by_id(payout.payout_id)
        if settled is not None:
            return settled
        async with self.new_uow() as uow:
            settled_elsewhere = await uow.payouts.wait_for(payout.payout_id)
            await uow.commit()
        return settled_elsewhere or payout

    async def _settle_by_id(self, payout_id: str) -> Payout | None:
        """One provider call for a due payout and its outcome, in one transaction; None when the
        payout is settled, not due, or held by another process."""
        async with self.new_uow() as uow:
            payout = await uow.payouts.lock_due(payout_id)
            if payout is None:
                return None
            answer = await self._ask_provider(payout)
            result = after_call(payout.amount, payout.attempts, answer, self.retry)
            if result.retry_after is not None:
                row = await uow.payouts.postpone(
                    payout_id, result.reason or "no answer", result.retry_after
                )
            else:
                row = await uow.payouts.finish(payout_id, result.status, result.reason)
            if row is None:
                raise RuntimeError(f"payout {payout_id} changed while locked")
            if result.returned:
                await uow.balances.add_to_available({row.payee: result.returned})
            if result.settled:
                now = row.completed_at or await uow.database_now()
                await publish(
                    uow, self.topic, [(str(uuid.uuid4()), _outcome_event(row, now))], time=now
                )
            await uow.commit()
        self._count_attempt(answer)
        if result.settled:
            self._count(result.status, 1)
        else:
            log.warning(
                "payout_outcome_unknown",
                payout_id=payout_id,
                attempts=row.attempts,
                error=row.last_error,
                next_attempt_at=row.next_attempt_at,
            )
        return row

    async def _ask_provider(self, payout: Payout) -> ProviderAnswer:
        instruction = PayoutInstruction(
            payout.payout_id, payout.party_type, payout.party_id, payout.currency, payout.amount
        )
        try:
            async with asyncio.timeout(self.provider_timeout_s):
                outcome = await self.provider.pay(instruction)
        except Exception as error:  # no definite answer: the money may have moved
            return NoAnswer(_describe(error))
        return Paid() if outcome.paid else Refused(outcome.reason or "refused")

    def _count(self, outcome: str, n: int) -> None:
        if self.metrics is not None:
            self.metrics.record_payouts(outcome, n)

    def _count_attempt(self, answer: ProviderAnswer) -> None:
        if self.metrics is not None:
            self.metrics.record_attempt(answer)


def _describe(error: Exception) -> str:
    if isinstance(error, TimeoutError) and not str(error):
        return "TimeoutError: no answer in time"
    return f"{type(error).__name__}: {error}"[:2000]


def _fields(payout: Payout) -> dict[str, object]:
    return {
        "payout_id": payout.payout_id,
        "run_id": payout.run_id,
        "party_type": payout.party_type,
        "party_id": payout.party_id,
        "currency": payout.currency,
        "amount": payout.amount,
    }


def _created_event(payout: Payout) -> payouts_v1.PayoutCreated:
    return payouts_v1.PayoutCreated.model_validate(
        {**_fields(payout), "created_at": payout.created_at}
    )


def _outcome_event(payout: Payout, now: datetime) -> payouts_v1.PayoutsEvent:
    if payout.status == "paid":
        return payouts_v1.PayoutPaid.model_validate({**_fields(payout), "paid_at": now})
    return payouts_v1.PayoutFailed.model_validate(
        {**_fields(payout), "failed_at": now, "reason": payout.failure_reason or "refused"}
    )
