"""Monotone apportionment: shares of a growing amount that never move backwards.

``allocate_monotone(amount, weights)`` splits ``amount`` (0..P, with ``P = sum(weights)``) into
integer shares with, for every ``i``:

- ``sum(shares) == amount`` (no unit lost or created);
- quota: ``floor(amount * w_i / P) <= shares[i] <= ceil(amount * w_i / P)``, so a share is within
  one unit of its exact proportion, and equal to it when that is an integer (all of them at
  ``amount == P``, where ``shares == weights``);
- house monotonicity: ``allocate_monotone(a, w)[i] <= allocate_monotone(b, w)[i]`` for ``a <= b``;
- a pure function of its arguments (a refund's reversal depends on the cumulative amount only).

Largest remainder (``shared.money.allocate``) has the first two but not the third (the Alabama
paradox); the Balinski-Young quota method has all three but is defined one unit at a time, which
is too slow for amounts of 10^13 minor units. This module computes, in ``O(log P)`` steps, one
point of a fixed path of allocations that has all three.

The path. At amount ``t`` a share is its floor ``f_i(t) = w_i * t // P`` plus one for the legs in
the set ``E(t)`` of legs "ahead" (only legs whose exact share is not an integer; there are
``r(t) = t - sum(f_i(t))`` of them). Seen as a schedule, leg ``i``'s ``k``-th unit must be given at
an amount inside its window ``[release, deadline]``, from the first amount whose exact share
exceeds ``k - 1`` to the first whose exact share reaches ``k``; a monotone quota path is a perfect
matching of units to amounts inside the windows, which exists (Tijdeman 1980). The path here is
fixed by bisection: the states at ``0`` and ``P`` are known; the state at the midpoint of a
segment ``[lo, hi]`` whose end states lie on a common valid path is chosen so that both halves
still do, then the half containing ``amount`` is bisected again. By Hall's theorem for interval
windows, a midpoint state ``E`` keeps both halves feasible exactly when

- it keeps the lower end's legs that do not step before ``mid`` (forced) and leaves out the legs
  that do not step before ``hi`` and are not ahead there (forbidden);
- (ahead) at every ``t`` in ``(mid, hi]`` the legs of ``E`` that have not stepped by ``t`` number at
  most ``r(t)``;
- (behind) at every ``u`` in ``[lo, mid)`` the eligible legs outside ``E`` whose last step is at or
  before ``u`` number at most ``sum(1 - frac_i(u))`` over the legs whose share is not an integer.

A cheap certificate (fractional parts at ``mid``) settles most candidates; otherwise the two
conditions are checked at the only amounts where they can fail: where a leg other than the
heaviest steps (between those amounts ``r`` only grows, ``1 - frac`` sums only shrink).
"""

import heapq
import itertools
from collections.abc import Iterator, Sequence
from functools import cached_property, lru_cache

from shared.money import is_int


def allocate_monotone(amount: int, weights: Sequence[int]) -> tuple[int, ...]:
    """Shares of ``amount`` in proportion to ``weights``: exact sum, quota, monotone in amount.

    ``weights`` are ints >= 0 with a positive sum ``P``; ``amount`` is an int in ``0..P``.
    Zero weights get zero. See the module docstring for the guarantees and the method.
    """
    if not is_int(amount):
        raise TypeError(f"amount must be an int, got {type(amount).__name__}")
    if any(not is_int(weight) or weight < 0 for weight in weights):
        raise ValueError(f"weights must be ints >= 0, got {list(weights)}")
    total = sum(weights)
    if total <= 0:
        raise ValueError("weights must have a positive sum")
    if not 0 <= amount <= total:
        raise ValueError(f"amount must be in 0..{total}, got {amount}")
    return _shares(tuple(weights), amount)


@lru_cache(maxsize=65_536)
def _shares(weights: tuple[int, ...], amount: int) -> tuple[int, ...]:
    # A refund's reversal needs the shares before and after it; the "before" of one refund is the
    # "after" of the previous one, so it is usually already here.
    return _Path.of(weights).shares_at(amount)


class _Path:
    """The fixed monotone quota path for one weight vector (states are bit masks of legs)."""

    def __init__(self, weights: tuple[int, ...]) -> None:
        self.weights = weights
        self.total = sum(weights)
        self.legs = tuple(i for i, weight in enumerate(weights) if weight)
        heaviest = max(self.legs, key=lambda i: (weights[i], -i))
        self.light = tuple(i for i in self.legs if i != heaviest)
        self._states: dict[int, int] = {}
        """The path's state at each midpoint computed so far. The bisection of ``[0, P]`` makes
        every point the midpoint of at most one segment, so the state there is the point's alone
        and later amounts on the same weights (an order's next refund, another order of the same
        split) reuse it."""

    @staticmethod
    @lru_cache(maxsize=4096)
    def of(weights: tuple[int, ...]) -> "_Path":
        return _Path(weights)

    def shares_at(self, amount: int) -> tuple[int, ...]:
        lo, hi, ahead_lo, ahead_hi = 0, self.total, 0, 0
        while amount not in (lo, hi):
            mid = (lo + hi) // 2
            ahead_mid = self._states.get(mid)
            if ahead_mid is None:
                ahead_mid = self._midpoint_state(lo, ahead_lo, mid, hi, ahead_hi)
                self._states[mid] = ahead_mid
            if amount <= mid:
                hi, ahead_hi = mid, ahead_mid
            else:
                lo, ahead_lo = mid, ahead_mid
        ahead = ahead_lo if amount == lo else ahead_hi
        return tuple(
            self._floor(i, amount) + (ahead >> i & 1) if weight else 0
            for i, weight in enumerate(self.weights)
        )

    # -- exact arithmetic on one leg -------------------------------------------------------

    def _floor(self, leg: int, t: int) -> int:
        return self.weights[leg] * t // self.total

    def _fraction(self, leg: int, t: int) -> int:
        """Numerator over ``total`` of the fractional part of leg ``leg``'s exact share at ``t``."""
        return self.weights[leg] * t % self.total

    def _step_at(self, leg: int, units: int) -> int:
        """First amount at which the leg's exact share reaches ``units`` (its unit's deadline)."""
        return -(-units * self.total // self.weights[leg])

    def _ahead_count(self, t: int) -> int:
        return t - sum(self._floor(i, t) for i in self.legs)

    def _room_behind(self, t: int) -> int:
        """``sum(1 - frac_i(t))`` over legs whose exact share is not an integer (an integer)."""
        fractions = [self._fraction(i, t) for i in self.legs]
        return sum(1 for f in fractions if f) - sum(fractions) // self.total

    def _light_steps(self, after: int, through: int) -> Iterator[int]:
        """Amounts in ``(after, through]`` at which a leg other than the heaviest steps."""

        def steps(leg: int) -> Iterator[int]:
            units = self._floor(leg, after) + 1
            while (t := self._step_at(leg, units)) <= through:
                yield t
                units += 1

        last = None
        for t in heapq.merge(*(steps(leg) for leg in self.light)):
            if t != last:
                yield t
                last = t

    # -- the midpoint state -----------------------------------------------------------------

    def _midpoint_state(self, lo: int, ahead_lo: int, mid: int, hi: int, ahead_hi: int) -> int:
        total, weights = self.total, self.weights
        floors = {i: weights[i] * mid // total for i in self.legs}
        wanted = mid - sum(floors.values())
        if wanted == 0:
            return 0
        eligible = [i for i in self.legs if weights[i] * mid % total]
        # Ahead at ``lo`` and no step since: still one unit ahead at ``mid``.
        forced = [
            i for i in eligible if ahead_lo >> i & 1 and floors[i] == weights[i] * lo // total
        ]
        deadline = {i: self._step_at(i, floors[i] + 1) for i in eligible}
        free = sorted(
            (i for i in eligible if i not in forced and (deadline[i] <= hi or ahead_hi >> i & 1)),
            key=lambda i: (deadline[i], i),
        )
        candidates = [
            forced + list(chosen) for chosen in itertools.combinations(free, wanted - len(forced))
        ]
        if len(candidates) > 1:
            release = {i: floors[i] * total // weights[i] + 1 for i in eligible}
            check = _Checks(self, lo, mid, hi, eligible, deadline, release)
            # A valid state exists (the segment lies on a valid path), so when every other
            # candidate fails, the last one is it and needs no check.
            others = candidates[:-1]
            found = next((a for a in candidates if check.certified(a)), None)
            if found is None:
                found = next((a for a in others if check.exact(a)), candidates[-1])
            candidates = [found]
        if not candidates:
            raise AssertionError(f"no monotone quota state at {mid} for weights {weights}")
        return sum(1 << i for i in candidates[0])


class _Checks:
    """The two feasibility conditions of candidate midpoint states (see the module docstring).

    Legs are walked latest deadline first (for "ahead") and oldest release first (for "behind");
    ``_kept[k]`` is the sum of the fractions at ``mid`` of every eligible leg whose deadline is at
    or after that of the ``k``-th latest, ``_room[k]`` the sum of ``total - fraction`` of every
    eligible leg whose release is at or before that of the ``k``-th oldest (numerators over
    ``total``).
    """

    def __init__(
        self,
        path: _Path,
        lo: int,
        mid: int,
        hi: int,
        eligible: list[int],
        deadline: dict[int, int],
        release: dict[int, int],
    ) -> None:
        self.path, self.lo, self.mid, self.hi = path, lo, mid, hi
        self.eligible, self.deadline, self.release = eligible, deadline, release

    # Built on first use: a candidate with fewer than two legs ahead (or behind) needs neither.
    @cached_property
    def _by_lateness(self) -> list[int]:
        return sorted(self.eligible, key=lambda i: -self.deadline[i])

    @cached_property
    def _by_age(self) -> list[int]:
        return sorted(self.eligible, key=lambda i: self.release[i])

    @cached_property
    def _fraction(self) -> dict[int, int]:
        path = self.path
        return {i: path.weights[i] * self.mid % path.total for i in self.eligible}

    @cached_property
    def _kept(self) -> list[int]:
        legs = self._by_lateness
        return _cumulative([self._fraction[i] for i in legs], [self.deadline[i] for i in legs])

    @cached_property
    def _room(self) -> list[int]:
        total, legs = self.path.total, self._by_age
        return _cumulative(
            [total - self._fraction[i] for i in legs], [self.release[i] for i in legs]
        )

    def _uncertified_ahead(self, ahead: list[int]) -> int | None:
        """Deadline before which ahead legs may outnumber ``r(t)``; None when they cannot.

        While ``m`` legs of ``ahead`` wait (before the ``m``-th latest deadline ``D``), every leg
        whose next step is at or after ``D`` keeps at least its fraction at ``mid``, and grows:
        if those fractions sum to ``m - 1`` or more, ``r(t) >= m`` there. The first failing
        ``m`` has the longest range.
        """
        if len(ahead) < 2:
            return None
        waiting = 0
        for k, leg in enumerate(self._by_lateness):
            if leg in ahead:
                waiting += 1
                if waiting >= 2 and self._kept[k] < (waiting - 1) * self.path.total:
                    return self.deadline[leg]
        return None

    def _uncertified_behind(self, ahead: list[int]) -> int | None:
        """Release from which legs behind may outnumber the room; None when they cannot."""
        if len(self.eligible) - len(ahead) < 2:
            return None
        behind = 0
        for k, leg in enumerate(self._by_age):
            if leg not in ahead:
                behind += 1
                if behind >= 2 and self._room[k] < (behind - 1) * self.path.total:
                    return self.release[leg]
        return None

    def certified(self, ahead: list[int]) -> bool:
        """Both conditions follow from the fractional parts at ``mid`` alone."""
        return self._uncertified_ahead(ahead) is None and self._uncertified_behind(ahead) is None

    def exact(self, ahead: list[int]) -> bool:
        return self._ahead_fits(ahead) and self._behind_fits(ahead)

    def _ahead_fits(self, ahead: list[int]) -> bool:
        until = self._uncertified_ahead(ahead)
        if until is None:
            return True
        end = min(self.hi, until - 1)
        if end <= self.mid:
            return True
        # Between two light steps ``r`` only grows and fewer legs wait: check each stretch's start.
        starts = itertools.chain([self.mid + 1], self.path._light_steps(self.mid + 1, end))
        for t in starts:
            waiting = sum(1 for i in ahead if self.deadline[i] > t)
            if waiting > self.path._ahead_count(t):
                return False
        return True

    def _behind_fits(self, ahead: list[int]) -> bool:
        since = self._uncertified_behind(ahead)
        if since is None:
            return True
        start = max(self.lo, since)
        if start > self.mid - 1:
            return True
        # Between two light steps the room behind only shrinks, so a stretch is checked at its
        # end; a light leg whose share is exact at its step adds room right after it, so the
        # step itself is checked too.
        steps = self.path._light_steps(start, self.mid - 1)
        ends = itertools.chain(
            [start], itertools.chain.from_iterable((t - 1, t) for t in steps), [self.mid - 1]
        )
        old = [i for i in self.eligible if i not in ahead]
        for u in ends:
            behind = sum(1 for i in old if self.release[i] <= u)
            if behind > self.path._room_behind(u):
                return False
        return True


def _cumulative(values: list[int], keys: list[int]) -> list[int]:
    """Running sums of ``values`` where positions with equal ``keys`` all get the group's total."""
    sums, running = [0] * len(values), 0
    start = 0
    for k, value in enumerate(values):
        running += value
        if k + 1 == len(values) or keys[k + 1] != keys[k]:
            sums[start : k + 1] = [running] * (k + 1 - start)
            start = k + 1
    return sums
