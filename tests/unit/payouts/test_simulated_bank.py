"""The simulated bank keeps books of what it did, and honours the payout id as idempotency key."""

from __future__ import annotations

from services.payouts.adapters.simulated_bank import SimulatedBank
from services.payouts.service.ports import PayoutInstruction, PayoutStatusLookup


def instruction(payout_id: str) -> PayoutInstruction:
    return PayoutInstruction(payout_id, "creator", "c-1", "GBP", 1_500)


async def test_the_bank_answers_what_it_did_with_each_payout_it_received() -> None:
    paying, refusing = SimulatedBank(0.0), SimulatedBank(1.0)
    assert (await paying.pay(instruction("p-1"))).paid
    assert not (await refusing.pay(instruction("p-2"))).paid
    assert await paying.statuses(["p-1", "p-2", "p-3"]) == {"p-1": "paid"}
    assert await refusing.statuses(["p-1", "p-2"]) == {"p-2": "refused"}
    assert isinstance(paying, PayoutStatusLookup)


async def test_asking_again_with_the_same_payout_id_gets_the_first_answer() -> None:
    bank = SimulatedBank(0.5, seed=3)
    first = [(await bank.pay(instruction(f"p-{n}"))).paid for n in range(20)]
    again = [(await bank.pay(instruction(f"p-{n}"))).paid for n in range(20)]
    assert again == first
    assert True in first and False in first  # both answers occur, so the repeat means something
    assert len(bank.instructions) == 40
