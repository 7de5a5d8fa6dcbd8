"""The simulated bank keeps books of what it did, and honours the payout id as idempotency key."""

from __future__ import annotations

import asyncio

import pytest

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


async def test_a_bank_told_to_time_out_books_nothing_but_counts_the_call() -> None:
    bank = SimulatedBank(timeout_rate=1.0)
    with pytest.raises(TimeoutError):
        await bank.pay(instruction("p-1"))
    assert await bank.statuses(["p-1"]) == {}
    assert await bank.paid_by_payee() == {}
    assert [(r.payout_id, r.status, r.calls) for r in await bank.requests()] == [("p-1", None, 1)]


async def test_a_bank_told_to_pay_then_time_out_pays_once_however_often_it_is_asked() -> None:
    bank = SimulatedBank(timeout_after_pay_rate=1.0)
    for _ in range(3):
        with pytest.raises(TimeoutError):
            await bank.pay(instruction("p-1"))
    assert await bank.statuses(["p-1"]) == {"p-1": "paid"}
    assert await bank.paid_by_payee() == {("creator", "c-1", "GBP"): 1_500}
    assert [(r.payout_id, r.status, r.calls) for r in await bank.requests()] == [("p-1", "paid", 3)]


async def test_a_refused_payout_never_counts_as_paid() -> None:
    bank = SimulatedBank(1.0, timeout_after_pay_rate=1.0)
    assert not (await bank.pay(instruction("p-1"))).paid  # a refusal is answered, not timed out
    assert await bank.paid_by_payee() == {}


async def test_the_same_seed_gives_the_same_timeouts_and_refusals() -> None:
    async def outcomes(seed: int) -> list[str]:
        bank = SimulatedBank(0.3, seed, timeout_rate=0.3, timeout_after_pay_rate=0.3)
        found = []
        for n in range(30):
            try:
                found.append("paid" if (await bank.pay(instruction(f"p-{n}"))).paid else "refused")
            except TimeoutError:
                found.append("timeout")
        return found

    first, again = await outcomes(7), await outcomes(7)
    assert first == again
    assert {"paid", "refused", "timeout"} <= set(first)


async def test_a_slow_bank_answers_after_its_delay() -> None:
    bank = SimulatedBank(delay_ms=200)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await bank.pay(instruction("p-1"))
    assert await bank.statuses(["p-1"]) == {}  # abandoned while waiting: nothing booked
    assert (await bank.pay(instruction("p-1"))).paid
    assert [(r.status, r.calls) for r in await bank.requests()] == [("paid", 2)]


async def test_the_calls_are_listed_in_payout_id_order_page_by_page() -> None:
    bank = SimulatedBank()
    for n in (3, 1, 2):
        await bank.pay(instruction(f"p-{n}"))
    assert [r.payout_id for r in await bank.requests(limit=2)] == ["p-1", "p-2"]
    assert [r.payout_id for r in await bank.requests(after="p-2", limit=2)] == ["p-3"]


def test_a_rate_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="timeout_after_pay_rate"):
        SimulatedBank(timeout_after_pay_rate=1.5)
