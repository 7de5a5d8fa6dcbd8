"""A local stand-in for the bank: pays, refuses, is slow, or times out at configured rates,
reproducibly (seeded), and answers what it did with each payout (for reconciliation and for
tests that look for a double payment).

Like a real provider it honours the payout id as an idempotency key: the first booked answer to
a payout is the one it keeps giving, and a transfer is booked at most once. It counts every
`pay` call per payout id, whether it booked anything or not. Its books are in memory, or, given
an engine, in the `simulated_bank_transfers` and `simulated_bank_requests` tables, written in
the bank's own transactions before it answers, so they survive restarts and are independent of
this service's payout rows.

Per call, in this order: the call is counted; the bank waits `delay_ms`; with probability
`timeout_rate` it raises TimeoutError having booked nothing; otherwise it books a refusal with
probability `failure_rate` (else a payment), unless the payout is already booked; then, if the
booked answer is `paid`, with probability `timeout_after_pay_rate` it raises TimeoutError instead
of answering (paid, but the caller cannot know). A rate of 0 draws nothing from the RNG, so a
seed gives the same sequence of refusals whatever rates are off.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import replace
from typing import cast

from sqlalchemy.ext.asyncio import AsyncEngine

from services.payouts.adapters.db.simulated_bank_repository import (
    bank_requests,
    paid_totals,
    record_call,
    record_transfer,
    transfer_statuses,
)
from services.payouts.domain.reconciliation import ProviderStatus
from services.payouts.service.ports import BankRequest, PayoutInstruction, ProviderOutcome

_DECLINED = "simulated bank declined the transfer"


class SimulatedBankTimeoutError(TimeoutError):
    """The simulated bank did not answer (it may or may not have paid)."""


class SimulatedBank:
    """Refuses each new payout with probability `failure_rate` (0.0 never, 1.0 always); see the
    module docstring for the timeouts and the delay."""

    def __init__(
        self,
        failure_rate: float = 0.0,
        seed: int = 0,
        *,
        timeout_rate: float = 0.0,
        timeout_after_pay_rate: float = 0.0,
        delay_ms: int = 0,
        engine: AsyncEngine | None = None,
    ) -> None:
        for name, rate in (
            ("failure_rate", failure_rate),
            ("timeout_rate", timeout_rate),
            ("timeout_after_pay_rate", timeout_after_pay_rate),
        ):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be within 0.0..1.0")
        if delay_ms < 0:
            raise ValueError("delay_ms must be >= 0")
        self._failure_rate = failure_rate
        self._timeout_rate = timeout_rate
        self._timeout_after_pay_rate = timeout_after_pay_rate
        self._delay_s = delay_ms / 1000
        self._rng = random.Random(seed)
        self._engine = engine
        self._books: dict[str, ProviderStatus] = {}
        self._requests: dict[str, BankRequest] = {}
        self.instructions: list[PayoutInstruction] = []

    async def pay(self, instruction: PayoutInstruction) -> ProviderOutcome:
        self.instructions.append(instruction)
        times_out = self._draw(self._timeout_rate)
        refuses = self._draw(self._failure_rate)
        times_out_after_paying = self._draw(self._timeout_after_pay_rate)
        await self._count_call(instruction)
        if self._delay_s:
            await asyncio.sleep(self._delay_s)
        if times_out:
            raise SimulatedBankTimeoutError("simulated bank timed out before booking")
        booked = await self._book(instruction, "refused" if refuses else "paid")
        if booked == "paid" and times_out_after_paying:
            raise SimulatedBankTimeoutError("simulated bank paid, then timed out")
        return ProviderOutcome.success() if booked == "paid" else ProviderOutcome.failure(_DECLINED)

    async def statuses(self, payout_ids: Sequence[str]) -> dict[str, ProviderStatus]:
        if self._engine is None:
            return {i: self._books[i] for i in payout_ids if i in self._books}
        async with self._engine.connect() as conn:
            found = await transfer_statuses(conn, payout_ids)
        return {payout_id: cast(ProviderStatus, status) for payout_id, status in found.items()}

    async def requests(self, *, after: str | None = None, limit: int = 1_000) -> list[BankRequest]:
        """Every payout id the bank was called with (booked status, calls), in payout id order
        after `after`, at most `limit`."""
        if self._engine is not None:
            async with self._engine.connect() as conn:
                return await bank_requests(conn, after=after, limit=limit)
        ids = sorted(i for i in self._requests if after is None or i > after)[:limit]
        return [replace(self._requests[i], status=self._books.get(i)) for i in ids]

    async def paid_by_payee(self) -> dict[tuple[str, str, str], int]:
        """Minor units actually paid per (party_type, party_id, currency): a payout paid twice
        would show here as twice its amount."""
        if self._engine is not None:
            async with self._engine.connect() as conn:
                return await paid_totals(conn)
        totals: dict[tuple[str, str, str], int] = {}
        for payout_id, status in self._books.items():
            if status == "paid":
                r = self._requests[payout_id]
                key = (r.party_type, r.party_id, r.currency)
                totals[key] = totals.get(key, 0) + r.amount
        return totals

    def _draw(self, rate: float) -> bool:
        return rate > 0 and self._rng.random() < rate

    async def _count_call(self, instruction: PayoutInstruction) -> None:
        if self._engine is not None:
            async with self._engine.begin() as conn:
                await record_call(conn, instruction)
            return
        known = self._requests.get(instruction.payout_id)
        self._requests[instruction.payout_id] = (
            replace(known, calls=known.calls + 1)
            if known is not None
            else BankRequest(
                instruction.payout_id,
                instruction.party_type,
                instruction.party_id,
                instruction.currency,
                instruction.amount,
                None,
                1,
            )
        )

    async def _book(self, instruction: PayoutInstruction, status: ProviderStatus) -> ProviderStatus:
        if self._engine is None:
            return self._books.setdefault(instruction.payout_id, status)
        async with self._engine.begin() as conn:
            return cast(ProviderStatus, await record_transfer(conn, instruction, status))
