"""What one provider call does to an unsettled payout: only a definite answer settles it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.payouts.adapters.simulated_bank import SimulatedBank
from services.payouts.domain.payout_attempts import (
    NoAnswer,
    Paid,
    Refused,
    RetryPolicy,
    after_call,
)
from services.payouts.service.ports import PayoutInstruction, ProviderOutcome

POLICY = RetryPolicy(base_s=2.0, cap_s=30.0)


def test_a_call_without_an_answer_leaves_the_payout_pending_and_gives_nothing_back() -> None:
    result = after_call(2_000, 0, NoAnswer("TimeoutError: no answer in time"), POLICY)
    assert result.status == "created"
    assert not result.settled  # so no payout.paid / payout.failed is published
    assert result.returned == 0
    assert result.retry_after == timedelta(seconds=2)
    assert result.reason == "TimeoutError: no answer in time"


def test_a_definite_refusal_fails_the_payout_and_gives_its_whole_amount_back() -> None:
    result = after_call(2_000, 3, Refused("account closed"), POLICY)
    assert (result.status, result.settled, result.returned) == ("failed", True, 2_000)
    assert (result.retry_after, result.reason) == (None, "account closed")


def test_a_payment_settles_the_payout_and_gives_nothing_back() -> None:
    result = after_call(2_000, 5, Paid(), POLICY)
    assert (result.status, result.settled, result.returned, result.retry_after) == (
        "paid",
        True,
        0,
        None,
    )


def test_the_wait_before_a_retry_doubles_with_each_unanswered_call_up_to_the_cap() -> None:
    waits = [after_call(100, n, NoAnswer("ConnectionError"), POLICY).retry_after for n in range(8)]
    assert waits == [timedelta(seconds=s) for s in (2, 4, 8, 16, 30, 30, 30, 30)]
    assert POLICY.delay(10_000) == timedelta(seconds=30)


@pytest.mark.parametrize(("base_s", "cap_s"), [(0.0, 1.0), (-1.0, 1.0), (5.0, 1.0)])
def test_a_retry_policy_needs_a_positive_base_not_above_its_cap(
    base_s: float, cap_s: float
) -> None:
    with pytest.raises(ValueError, match="retry policy"):
        RetryPolicy(base_s, cap_s)


class PaysThenTimesOutOnce:
    """A bank that pays the first call and then does not answer it; later calls answer."""

    def __init__(self) -> None:
        self.bank = SimulatedBank()
        self.calls = 0

    async def pay(self, instruction: PayoutInstruction) -> ProviderOutcome:
        self.calls += 1
        outcome = await self.bank.pay(instruction)
        if self.calls == 1:
            raise TimeoutError
        return outcome


async def test_retrying_with_the_same_payout_id_pays_once() -> None:
    bank = PaysThenTimesOutOnce()
    ask = PayoutInstruction("p-1", "creator", "c-1", "GBP", 2_000)
    with pytest.raises(TimeoutError):
        await bank.pay(ask)
    first = after_call(ask.amount, 0, NoAnswer("TimeoutError"), POLICY)
    answer = await bank.pay(ask)  # the retry: same payout id
    second = after_call(ask.amount, 1, Paid() if answer.paid else Refused("?"), POLICY)

    assert (first.status, first.returned) == ("created", 0)
    assert (second.status, second.returned) == ("paid", 0)
    assert await bank.bank.paid_by_payee() == {("creator", "c-1", "GBP"): 2_000}
    assert [(r.payout_id, r.status, r.calls) for r in await bank.bank.requests()] == [
        ("p-1", "paid", 2)
    ]
