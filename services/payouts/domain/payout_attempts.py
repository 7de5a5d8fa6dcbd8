"""What one provider call does to an unsettled payout, pure.

Only a definite answer settles a payout: `Paid` makes it `paid`; `Refused` makes it `failed` and
gives its amount back to the payee's available balance. A call without a definite answer
(`NoAnswer`: a timeout, a connection error, any exception) may have moved the money or not, so
the payout stays `created` (DOMAIN.md's pending), nothing is given back, no outcome event is
published, and the same payout id (the provider's idempotency key) is asked again after
`min(cap, base * 2 ** (attempts - 1))` seconds, `attempts` counting the calls without an answer
so far.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

SettledStatus = Literal["created", "paid", "failed"]


@dataclass(frozen=True, slots=True)
class Paid:
    pass


@dataclass(frozen=True, slots=True)
class Refused:
    reason: str


@dataclass(frozen=True, slots=True)
class NoAnswer:
    error: str


ProviderAnswer = Paid | Refused | NoAnswer


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`base_s` and `cap_s` in seconds; 0 < base_s <= cap_s."""

    base_s: float
    cap_s: float

    def __post_init__(self) -> None:
        if not 0 < self.base_s <= self.cap_s:
            raise ValueError("a retry policy needs 0 < base_s <= cap_s")

    def delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th call without a definite answer (attempts >= 1)."""
        if attempts < 1:
            raise ValueError("a delay follows at least one attempt")
        doublings = min(attempts - 1, 62)  # the cap is reached long before
        return timedelta(seconds=min(self.cap_s, self.base_s * 2.0**doublings))


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """`status` after the call; `returned` minor units go back to available (a refusal's whole
    amount, else 0); `retry_after` is set exactly when the payout stays unsettled."""

    status: SettledStatus
    returned: int
    retry_after: timedelta | None
    reason: str | None

    @property
    def settled(self) -> bool:
        return self.status != "created"


def after_call(
    amount: int, unanswered_before: int, answer: ProviderAnswer, policy: RetryPolicy
) -> AttemptResult:
    """The payout of `amount` minor units, asked `unanswered_before` times without a definite
    answer, after this call's `answer`."""
    match answer:
        case Paid():
            return AttemptResult("paid", 0, None, None)
        case Refused(reason):
            return AttemptResult("failed", amount, None, reason)
        case NoAnswer(error):
            return AttemptResult("created", 0, policy.delay(unanswered_before + 1), error)
