"""Reversing a split in proportion to what has been refunded (refunds and cancellation).

The cumulative reversal at ``refunded`` minor units is ``allocate_monotone(refunded, legs)``:

- it sums to ``refunded``;
- each leg is within 1 minor unit of ``leg * refunded / paid_total`` (its floor or its ceiling),
  and a full refund gives back every leg exactly;
- each leg is a non-decreasing function of ``refunded``: a refund never moves a leg backwards, so
  every reversal entry takes a non-negative amount from every leg;
- it depends on the split and the cumulative amount only.

One refund's reversal is the difference between the cumulative reversals after and before it, so
it sums to the refund amount and replay in any grouping gives the same totals.
"""

from dataclasses import dataclass

from services.ledger.domain.errors import InvalidRefundError, RefundExceedsPaidTotalError
from services.ledger.domain.split import RULE_VERSION, Legs, Split
from shared.apportionment import allocate_monotone
from shared.money import is_int


@dataclass(frozen=True, slots=True)
class Reversal:
    """Legs taken back from the parties for one refund or cancellation, in minor units.

    ``legs.total == refunded_after - refunded_before``; every leg is >= 0, the money taken back
    from that party. ``refunded_before`` / ``refunded_after`` are the order's cumulative refunds.
    """

    order_id: str
    currency: str
    refunded_before: int
    refunded_after: int
    legs: Legs
    rule_version: str = RULE_VERSION

    @property
    def amount(self) -> int:
        return self.refunded_after - self.refunded_before


def _check_refunded(split: Split, name: str, refunded: object) -> int:
    if not is_int(refunded):
        raise InvalidRefundError(f"{name} must be an int, got {type(refunded).__name__}")
    if refunded < 0:
        raise InvalidRefundError(f"{name} must be >= 0, got {refunded}")
    if refunded > split.paid_total:
        raise RefundExceedsPaidTotalError(
            order_id=split.order_id, paid_total=split.paid_total, refunded_cumulative=refunded
        )
    return refunded


def cumulative_reversal(split: Split, refunded: int) -> Legs:
    """Legs reversed in total once ``refunded`` minor units (0..paid_total) have been refunded."""
    _check_refunded(split, "refunded", refunded)
    if split.paid_total == 0:
        return Legs.from_amounts([0] * len(split.legs.amounts()))
    return Legs.from_amounts(allocate_monotone(refunded, split.legs.amounts()))


def remaining_legs(split: Split, refunded: int) -> Legs:
    """What is left of each leg once ``refunded`` minor units have been refunded."""
    return split.legs - cumulative_reversal(split, refunded)


def reverse_refund(split: Split, refunded_before: int, refunded_after: int) -> Reversal:
    """The reversal for a refund taking cumulative refunds from ``refunded_before`` to
    ``refunded_after``.

    Raises ``RefundExceedsPaidTotalError`` when ``refunded_after > paid_total`` and
    ``InvalidRefundError`` for a negative bound or ``refunded_after < refunded_before``.
    """
    before = _check_refunded(split, "refunded_before", refunded_before)
    after = _check_refunded(split, "refunded_after", refunded_after)
    if after < before:
        raise InvalidRefundError(
            f"order {split.order_id}: cumulative refunds cannot go back from {before} to {after}"
        )
    legs = cumulative_reversal(split, after) - cumulative_reversal(split, before)
    return Reversal(
        order_id=split.order_id,
        currency=split.currency,
        refunded_before=before,
        refunded_after=after,
        legs=legs,
    )


def reverse_cancellation(split: Split, refunded_before: int) -> Reversal:
    """Reverse whatever is left after ``refunded_before``, like a refund up to the paid total.

    After it, every leg has been reversed exactly; when nothing is left the legs are all 0.
    """
    return reverse_refund(split, refunded_before, split.paid_total)
