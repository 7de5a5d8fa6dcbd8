"""Release instants for every region's terms, across month, year and leap-day boundaries."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.payouts.domain.holds import PartyAmount, deliver, open_hold
from services.payouts.domain.release_instant import HoldTerms, release_instant
from shared.regions import DEFAULT_REGIONS, NaiveDatetimeError, release_at

SHANGHAI = ZoneInfo("Asia/Shanghai")


def terms_of(region: str) -> HoldTerms:
    defaults = DEFAULT_REGIONS[region]
    return HoldTerms(defaults.after_sales_window_days, defaults.release_rule, defaults.min_payout)


@pytest.mark.parametrize(
    ("region", "delivered_at", "expected"),
    [
        ("ID", datetime(2026, 1, 10, 8, tzinfo=UTC), datetime(2026, 1, 17, 8, tzinfo=UTC)),
        (
            "UK",
            datetime(2026, 12, 20, 23, 59, tzinfo=UTC),
            datetime(2027, 1, 4, 23, 59, tzinfo=UTC),
        ),
        ("US", datetime(2028, 2, 14, tzinfo=UTC), datetime(2028, 3, 1, tzinfo=UTC)),
        ("VN", datetime(2027, 2, 14, tzinfo=UTC), datetime(2027, 3, 2, tzinfo=UTC)),
        ("ID", datetime(2028, 2, 22, 12, tzinfo=UTC), datetime(2028, 2, 29, 12, tzinfo=UTC)),
        ("UK", datetime(2028, 2, 29, tzinfo=UTC), datetime(2028, 3, 15, tzinfo=UTC)),
    ],
)
def test_next_day_regions_release_one_day_after_the_window(
    region: str, delivered_at: datetime, expected: datetime
) -> None:
    assert (
        release_instant(region, DEFAULT_REGIONS[region].currency, terms_of(region), delivered_at)
        == expected
    )


@pytest.mark.parametrize(
    ("delivered_at", "expected_shanghai"),
    [
        # window ends 2026-01-17 (Shanghai) -> 1 February
        (datetime(2026, 1, 10, 12, tzinfo=SHANGHAI), datetime(2026, 2, 1, tzinfo=SHANGHAI)),
        # window ends 2026-12-31 23:00 Shanghai -> 1 January of the next year
        (datetime(2026, 12, 24, 23, tzinfo=SHANGHAI), datetime(2027, 1, 1, tzinfo=SHANGHAI)),
        # window ends exactly at a month start in Shanghai -> the month after that
        (datetime(2027, 2, 22, tzinfo=SHANGHAI), datetime(2027, 4, 1, tzinfo=SHANGHAI)),
        # leap year: window ends 2028-02-29 -> 1 March
        (datetime(2028, 2, 22, 10, tzinfo=SHANGHAI), datetime(2028, 3, 1, tzinfo=SHANGHAI)),
        # UTC still in January but Shanghai already in February when the window ends
        (datetime(2026, 1, 24, 16, 30, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=SHANGHAI)),
    ],
)
def test_cn_releases_at_the_first_shanghai_instant_of_the_month_after_the_window(
    delivered_at: datetime, expected_shanghai: datetime
) -> None:
    due = release_instant("CN", "CNY", terms_of("CN"), delivered_at)
    assert due == expected_shanghai
    assert due.utcoffset() == timedelta(0)
    assert due.astimezone(SHANGHAI).day == 1 and due.astimezone(SHANGHAI).hour == 0


@pytest.mark.parametrize("region", sorted(DEFAULT_REGIONS))
def test_every_region_agrees_with_the_shared_release_rule(region: str) -> None:
    delivered_at = datetime(2026, 11, 30, 17, 45, tzinfo=UTC)
    expected = release_at(DEFAULT_REGIONS[region], delivered_at)
    hold = open_hold(
        order_id="o",
        shop_id="s",
        region=region,
        currency=DEFAULT_REGIONS[region].currency,
        terms=terms_of(region),
        legs=[PartyAmount("merchant", "s", 100)],
    )
    assert deliver(hold, delivered_at).release_at == expected


def test_a_shop_override_of_the_window_moves_the_release() -> None:
    longer = HoldTerms(after_sales_window_days=30, release_rule="next_day", min_payout=1_000)
    delivered_at = datetime(2026, 1, 1, tzinfo=UTC)
    assert release_instant("UK", "GBP", longer, delivered_at) == datetime(2026, 2, 1, tzinfo=UTC)


def test_a_naive_delivery_time_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        release_instant("UK", "GBP", terms_of("UK"), datetime(2026, 1, 1))
