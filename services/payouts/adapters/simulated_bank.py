"""A local stand-in for the bank: pays or refuses at a configured rate, reproducibly (seeded), and
answers what it did with each payout (for reconciliation).

Like a real provider it honours the payout id as an idempotency key: the first answer to a
payout is the one it keeps giving. Its books are in memory, or, given an engine, in the
`simulated_bank_transfers` table, written in the bank's own transaction before it answers, so
they survive restarts and are independent of this service's payout rows.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import cast

from sqlalchemy.ext.asyncio import AsyncEngine

from services.payouts.adapters.db.simulated_bank_repository import (
    record_transfer,
    transfer_statuses,
)
from services.payouts.domain.reconciliation import ProviderStatus
from services.payouts.service.ports import PayoutInstruction, ProviderOutcome

_DECLINED = "simulated bank declined the transfer"


class SimulatedBank:
    """Refuses each new payout with probability `failure_rate` (0.0 never, 1.0 always)."""

    def __init__(
        self, failure_rate: float = 0.0, seed: int = 0, *, engine: AsyncEngine | None = None
    ) -> None:
        if not 0.0 <= failure_rate <= 1.0:
            raise ValueError("failure_rate must be within 0.0..1.0")
        self._failure_rate = failure_rate
        self._rng = random.Random(seed)
        self._engine = engine
        self._books: dict[str, ProviderStatus] = {}
        self.instructions: list[PayoutInstruction] = []

    async def pay(self, instruction: PayoutInstruction) -> ProviderOutcome:
        self.instructions.append(instruction)
        status: ProviderStatus = "refused" if self._rng.random() < self._failure_rate else "paid"
        booked = await self._book(instruction, status)
        return ProviderOutcome.success() if booked == "paid" else ProviderOutcome.failure(_DECLINED)

    async def statuses(self, payout_ids: Sequence[str]) -> dict[str, ProviderStatus]:
        if self._engine is None:
            return {i: self._books[i] for i in payout_ids if i in self._books}
        async with self._engine.connect() as conn:
            found = await transfer_statuses(conn, payout_ids)
        return {payout_id: cast(ProviderStatus, status) for payout_id, status in found.items()}

    async def _book(self, instruction: PayoutInstruction, status: ProviderStatus) -> ProviderStatus:
        if self._engine is None:
            return self._books.setdefault(instruction.payout_id, status)
        async with self._engine.begin() as conn:
            return cast(ProviderStatus, await record_transfer(conn, instruction, status))
