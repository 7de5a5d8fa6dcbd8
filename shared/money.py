"""Integer money: minor units, basis points and exact allocation.

Every amount in the system is an ``int`` count of its currency's minor unit (ISO 4217 exponent);
every rate is an ``int`` number of basis points (1 bps = 1/10,000). Nothing here uses floats,
``Decimal`` or I/O, so each function is a pure, exact function of its arguments.
"""

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TypeGuard

BPS_DENOMINATOR = 10_000
"""Basis points in a whole: ``10_000`` bps == 100 %."""

CURRENCY_EXPONENTS: Mapping[str, int] = MappingProxyType(
    {
        "GBP": 2,
        "USD": 2,
        "CNY": 2,
        "IDR": 2,
        "MYR": 2,
        "THB": 2,
        "PHP": 2,
        "SGD": 2,
        "VND": 0,
    }
)
"""ISO 4217 minor-unit exponent of every currency the regions settle in."""


class UnknownCurrencyError(ValueError):
    """The currency code is not one the system settles in."""

    def __init__(self, currency: object) -> None:
        super().__init__(f"unknown currency {currency!r}")
        self.currency = currency


def is_int(value: object) -> TypeGuard[int]:
    """True for a real integer; ``bool`` (an ``int`` subclass) and floats are not amounts."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_currency(code: object) -> bool:
    """True when ``code`` is a settled currency (exact, upper-case ISO 4217 code)."""
    return isinstance(code, str) and code in CURRENCY_EXPONENTS


def exponent(currency: str) -> int:
    """Minor-unit exponent of ``currency``: ``1 major == 10 ** exponent(currency)`` minor units.

    Raises ``UnknownCurrencyError`` for a code outside ``CURRENCY_EXPONENTS``.
    """
    if not is_currency(currency):
        raise UnknownCurrencyError(currency)
    return CURRENCY_EXPONENTS[currency]


def _require_int(name: str, value: object) -> int:
    if not is_int(value):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return value


def apply_bps(amount: int, bps: int) -> int:
    """``amount * bps / 10_000`` rounded half up on the exact rational value.

    Computed as ``(amount * bps + 5000) // 10000``, i.e. ``floor(x + 1/2)``: halves round toward
    positive infinity for every sign, so ``apply_bps(-3, 5000) == -1`` (exact -1.5) and
    ``apply_bps(-1, 5000) == 0`` (exact -0.5). The rounding is therefore not symmetric:
    ``apply_bps(-a, b)`` may differ from ``-apply_bps(a, b)`` by one minor unit; callers that need
    symmetry round the magnitude and restore the sign themselves.

    Both arguments must be ``int`` (``bool`` and ``float`` raise ``TypeError``). The result is in
    the same minor unit as ``amount`` and is within 1/2 of the exact value.
    """
    _require_int("amount", amount)
    _require_int("bps", bps)
    return (amount * bps + BPS_DENOMINATOR // 2) // BPS_DENOMINATOR


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` minor units in proportion to ``weights``, exactly.

    Largest-remainder (Hamilton) method: every share starts at the floor of its exact proportion
    ``total * w_i / sum(weights)``; the units left over go one each to the largest remainders, ties
    to the lower index. Guarantees:

    - ``sum(result) == total``: no minor unit is lost or created;
    - ``floor(exact_i) <= result[i] <= ceil(exact_i)``, so each share is within 1 of its exact
      proportion (and equal to it when that is an integer);
    - a zero weight gets zero; the result depends only on the arguments (deterministic).

    A negative ``total`` is allocated as ``-allocate(-total, weights)``. Weights are ints that
    sum to a positive number; one may be negative (a leg that is a debt) and then gets a share of
    the opposite sign. Weights may all be zero only when ``total`` is zero (every share is 0).
    Like every Hamilton apportionment it is not monotone in ``total``: a share of ``total + 1``
    can be one less than the same share of ``total`` (the Alabama paradox).
    """
    _require_int("total", total)
    for weight in weights:
        _require_int("weight", weight)
    if total < 0:
        return [-share for share in allocate(-total, weights)]
    weight_sum = sum(weights)
    if weight_sum <= 0:
        if total == 0 and not any(weights):
            return [0 for _ in weights]
        raise ValueError(f"weights must sum to a positive number, got {weight_sum}")
    shares = [total * weight // weight_sum for weight in weights]
    remainders = [total * weight % weight_sum for weight in weights]
    leftover = total - sum(shares)
    # leftover * weight_sum == sum(remainders) and every remainder is < weight_sum, so fewer units
    # are left over than there are positive remainders: a zero weight (remainder 0) gets none.
    by_largest_remainder = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for index in by_largest_remainder[:leftover]:
        shares[index] += 1
    return shares
