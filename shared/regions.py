"""Region settlement terms, kept as data, and the release instant they imply.

The defaults are the DOMAIN.md Regions table; a shop may override any term except its region code
and currency (``RegionTerms.with_overrides``). Amounts are minor units of ``currency``; rates are
basis points. Pure: no I/O and no clock, every instant is passed in.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Literal, TypedDict, Unpack, get_args
from zoneinfo import ZoneInfo

from shared.money import BPS_DENOMINATOR, is_currency, is_int

ReleaseRule = Literal["next_day", "cn_monthly"]
"""``next_day``: window end + 1 day. ``cn_monthly``: first instant (Asia/Shanghai) of the calendar
month after the one in which the window ends."""

RELEASE_RULES: frozenset[str] = frozenset(get_args(ReleaseRule))
SHANGHAI = ZoneInfo("Asia/Shanghai")


class UnknownRegionError(ValueError):
    """The region code has no terms."""

    def __init__(self, code: object) -> None:
        super().__init__(f"unknown region {code!r}")
        self.code = code


class InvalidRegionTermsError(ValueError):
    """A region term (default or per-shop override) is out of its allowed range."""


class NaiveDatetimeError(ValueError):
    """An instant without a UTC offset: it names no moment, so no release can be computed."""


class RegionOverrides(TypedDict, total=False):
    """Terms a shop may override; region code and currency stay those of the region."""

    after_sales_window_days: int
    release_rule: ReleaseRule
    platform_fee_bps: int
    platform_cut_bps: int
    creator_tax_bps: int
    min_payout: int


@dataclass(frozen=True, slots=True)
class RegionTerms:
    """Settlement terms of one region (or one shop's overridden copy of them).

    ``platform_fee_bps`` applies to the commissionable base, ``platform_cut_bps`` to the
    commission, ``creator_tax_bps`` to the creator's gross; each is 0..10,000 bps.
    ``min_payout`` is in minor units of ``currency``; ``after_sales_window_days`` counts whole
    24-hour days after delivery.
    """

    code: str
    currency: str
    after_sales_window_days: int
    release_rule: ReleaseRule
    platform_fee_bps: int
    platform_cut_bps: int
    creator_tax_bps: int
    min_payout: int

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not self.code:
            raise InvalidRegionTermsError(f"region code must be a non-empty str: {self.code!r}")
        if not is_currency(self.currency):
            raise InvalidRegionTermsError(f"unknown currency {self.currency!r}")
        if self.release_rule not in RELEASE_RULES:
            raise InvalidRegionTermsError(f"unknown release rule {self.release_rule!r}")
        for name in ("after_sales_window_days", "min_payout"):
            value = getattr(self, name)
            if not is_int(value) or value < 0:
                raise InvalidRegionTermsError(f"{name} must be a non-negative int: {value!r}")
        for name in ("platform_fee_bps", "platform_cut_bps", "creator_tax_bps"):
            value = getattr(self, name)
            if not is_int(value) or not 0 <= value <= BPS_DENOMINATOR:
                raise InvalidRegionTermsError(f"{name} must be an int in 0..10000: {value!r}")

    def with_overrides(self, **changes: Unpack[RegionOverrides]) -> "RegionTerms":
        """A copy with the given terms replaced, validated like the defaults."""
        return replace(self, **changes)


def _next_day(
    code: str, currency: str, window: int, fee: int, tax: int, min_payout: int
) -> RegionTerms:
    return RegionTerms(code, currency, window, "next_day", fee, 0, tax, min_payout)


DEFAULT_REGIONS: Mapping[str, RegionTerms] = MappingProxyType(
    {
        "ID": _next_day("ID", "IDR", 6, 400, 0, 5_000_000),
        "UK": _next_day("UK", "GBP", 14, 900, 0, 1_000),
        "US": _next_day("US", "USD", 15, 600, 0, 1_000),
        "VN": _next_day("VN", "VND", 15, 400, 1_000, 100_000),
        "CN": RegionTerms("CN", "CNY", 7, "cn_monthly", 500, 1_000, 0, 10_000),
    }
)
"""The DOMAIN.md Regions table, keyed by region code."""


def region_terms(code: str) -> RegionTerms:
    """Default terms of region ``code``; raises ``UnknownRegionError`` for an unknown code."""
    try:
        return DEFAULT_REGIONS[code]
    except (KeyError, TypeError):
        raise UnknownRegionError(code) from None


def release_at(region: RegionTerms, delivered_at: datetime) -> datetime:
    """The instant (UTC) a delivered order's funds become releasable.

    The after-sales window ends ``after_sales_window_days`` 24-hour days after ``delivered_at``
    (elapsed time, so the result depends only on the instant, not on the offset it was written
    in). ``next_day`` releases one day after the window ends. ``cn_monthly`` releases at 00:00
    Asia/Shanghai on the first day of the calendar month after the Shanghai month in which the
    window ends; a window ending exactly at a Shanghai month start releases a month later.

    Raises ``NaiveDatetimeError`` when ``delivered_at`` has no UTC offset.
    """
    if delivered_at.tzinfo is None or delivered_at.utcoffset() is None:
        raise NaiveDatetimeError(f"delivered_at must be timezone-aware: {delivered_at!r}")
    window_end = delivered_at.astimezone(UTC) + timedelta(days=region.after_sales_window_days)
    if region.release_rule == "next_day":
        return window_end + timedelta(days=1)
    local_end = window_end.astimezone(SHANGHAI)
    year, month = divmod(local_end.year * 12 + local_end.month, 12)
    next_month_start = datetime(year, month + 1, 1, tzinfo=SHANGHAI)
    return next_month_start.astimezone(UTC)
