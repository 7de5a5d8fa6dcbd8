from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.regions import (
    DEFAULT_REGIONS,
    InvalidRegionTermsError,
    NaiveDatetimeError,
    RegionTerms,
    UnknownRegionError,
    region_terms,
    release_at,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def shanghai(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


def test_default_regions_are_the_domain_table() -> None:
    assert dict(DEFAULT_REGIONS) == {
        "ID": RegionTerms("ID", "IDR", 6, "next_day", 400, 0, 0, 5_000_000),
        "UK": RegionTerms("UK", "GBP", 14, "next_day", 900, 0, 0, 1_000),
        "US": RegionTerms("US", "USD", 15, "next_day", 600, 0, 0, 1_000),
        "VN": RegionTerms("VN", "VND", 15, "next_day", 400, 0, 1_000, 100_000),
        "CN": RegionTerms("CN", "CNY", 7, "cn_monthly", 500, 1_000, 0, 10_000),
    }
    assert all(code == terms.code for code, terms in DEFAULT_REGIONS.items())


def test_region_terms_are_looked_up_by_code() -> None:
    assert region_terms("VN").creator_tax_bps == 1_000


@pytest.mark.parametrize("code", ["FR", "uk", ""])
def test_an_unknown_region_is_a_typed_value_error(code: str) -> None:
    with pytest.raises(UnknownRegionError) as raised:
        region_terms(code)
    assert isinstance(raised.value, ValueError)


def test_a_shop_override_changes_only_the_given_terms() -> None:
    uk = region_terms("UK")
    shop = uk.with_overrides(platform_fee_bps=700, after_sales_window_days=30)
    assert shop.platform_fee_bps == 700
    assert shop.after_sales_window_days == 30
    assert (shop.code, shop.currency, shop.min_payout) == ("UK", "GBP", 1_000)
    assert region_terms("UK").platform_fee_bps == 900


@pytest.mark.parametrize(
    "changes",
    [
        {"platform_fee_bps": 10_001},
        {"creator_tax_bps": -1},
        {"platform_cut_bps": 1.5},
        {"after_sales_window_days": -1},
        {"min_payout": True},
        {"release_rule": "weekly"},
    ],
)
def test_an_out_of_range_override_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidRegionTermsError):
        region_terms("UK").with_overrides(**changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("region", "delivered_at", "expected"),
    [
        ("ID", utc(2026, 3, 10, 8, 30), utc(2026, 3, 17, 8, 30)),
        ("UK", utc(2026, 3, 10, 8, 30), utc(2026, 3, 25, 8, 30)),
        ("US", utc(2026, 3, 10, 8, 30), utc(2026, 3, 26, 8, 30)),
        ("VN", utc(2026, 3, 10, 8, 30), utc(2026, 3, 26, 8, 30)),
        ("CN", utc(2026, 3, 10, 8, 30), shanghai(2026, 4, 1)),
        # Month and year ends.
        ("UK", utc(2026, 12, 20, 12), utc(2027, 1, 4, 12)),
        ("ID", utc(2026, 12, 25), utc(2027, 1, 1)),
        ("US", utc(2026, 1, 31, 23, 59), utc(2026, 2, 16, 23, 59)),
        ("VN", utc(2026, 12, 31, 23, 59, 59), utc(2027, 1, 16, 23, 59, 59)),
        ("CN", utc(2026, 12, 20), shanghai(2027, 1, 1)),
        ("CN", utc(2026, 12, 28), shanghai(2027, 2, 1)),
        # Leap years: 2028-02-29 exists, 2027-02-29 does not.
        ("UK", utc(2028, 2, 22), utc(2028, 3, 8)),
        ("UK", utc(2027, 2, 22), utc(2027, 3, 9)),
        ("ID", utc(2028, 2, 22), utc(2028, 2, 29)),
        ("US", utc(2028, 2, 14), utc(2028, 3, 1)),
        ("CN", utc(2028, 2, 22), shanghai(2028, 3, 1)),
        ("CN", utc(2028, 2, 23), shanghai(2028, 4, 1)),
    ],
)
def test_release_instant_of_every_region(
    region: str, delivered_at: datetime, expected: datetime
) -> None:
    assert release_at(region_terms(region), delivered_at) == expected


def test_cn_window_ending_after_midnight_in_shanghai_but_before_it_in_utc_waits_a_month() -> None:
    delivered_at = utc(2026, 1, 24, 17)  # 2026-01-25 01:00 in Shanghai
    # The window ends 2026-02-01 01:00 Shanghai (still 2026-01-31 in UTC): a February end.
    assert release_at(region_terms("CN"), delivered_at) == shanghai(2026, 3, 1)
    assert release_at(region_terms("CN"), delivered_at) == utc(2026, 2, 28, 16)


def test_cn_window_ending_on_the_last_shanghai_day_of_a_month_releases_next_month() -> None:
    delivered_at = utc(2026, 1, 24, 15, 59, 59)  # 2026-01-24 23:59:59 in Shanghai
    assert release_at(region_terms("CN"), delivered_at) == shanghai(2026, 2, 1)


def test_cn_window_ending_exactly_at_a_shanghai_month_start_belongs_to_that_month() -> None:
    delivered_at = shanghai(2026, 1, 25)
    assert release_at(region_terms("CN"), delivered_at) == shanghai(2026, 3, 1)


def test_release_is_reported_in_utc() -> None:
    released = release_at(region_terms("CN"), utc(2026, 5, 5))
    assert released.utcoffset() == timedelta(0)
    assert released == utc(2026, 5, 31, 16)


def test_release_depends_only_on_the_instant_not_its_offset() -> None:
    instant = utc(2026, 3, 20, 23, 30)
    london = instant.astimezone(ZoneInfo("Europe/London"))  # crosses the March DST change
    jakarta = instant.astimezone(timezone(timedelta(hours=7)))
    for terms in DEFAULT_REGIONS.values():
        assert release_at(terms, london) == release_at(terms, instant)
        assert release_at(terms, jakarta) == release_at(terms, instant)


def test_a_naive_delivery_time_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        release_at(region_terms("UK"), datetime(2026, 3, 10, 8, 30))


def test_overridden_window_and_rule_drive_release() -> None:
    shop = region_terms("US").with_overrides(after_sales_window_days=0, release_rule="cn_monthly")
    assert release_at(shop, shanghai(2026, 6, 30, 23)) == shanghai(2026, 7, 1)


@settings(max_examples=200, deadline=None)
@given(
    region=st.sampled_from(sorted(DEFAULT_REGIONS)),
    delivered_at=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.just(UTC),
    ),
)
def test_release_comes_after_the_window_and_is_never_a_month_late(
    region: str, delivered_at: datetime
) -> None:
    terms = region_terms(region)
    window_end = delivered_at + timedelta(days=terms.after_sales_window_days)
    released = release_at(terms, delivered_at)
    assert released > window_end
    if terms.release_rule == "next_day":
        assert released == window_end + timedelta(days=1)
    else:
        local = released.astimezone(SHANGHAI)
        assert (local.day, local.hour, local.minute, local.second, local.microsecond) == (
            1,
            0,
            0,
            0,
            0,
        )
        assert released - window_end <= timedelta(days=31)
