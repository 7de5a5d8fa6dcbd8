"""A local stand-in for the bank: pays or fails at a configured rate, reproducibly (seeded)."""

from __future__ import annotations

import random

from services.payouts.service.ports import PayoutInstruction, ProviderOutcome


class SimulatedBank:
    """Fails each payout with probability `failure_rate` (0.0 never, 1.0 always)."""

    def __init__(self, failure_rate: float = 0.0, seed: int = 0) -> None:
        if not 0.0 <= failure_rate <= 1.0:
            raise ValueError("failure_rate must be within 0.0..1.0")
        self._failure_rate = failure_rate
        self._rng = random.Random(seed)
        self.instructions: list[PayoutInstruction] = []

    async def pay(self, instruction: PayoutInstruction) -> ProviderOutcome:
        self.instructions.append(instruction)
        if self._rng.random() < self._failure_rate:
            return ProviderOutcome.failure("simulated bank declined the transfer")
        return ProviderOutcome.success()
