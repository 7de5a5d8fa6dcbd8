from datetime import UTC, datetime

from settlement_cli.demo.report import (
    CurrencyTotal,
    PartyBalance,
    PayoutMade,
    SettlementReport,
    WaitingHold,
    format_report,
    money,
)


def report(**changes: object) -> SettlementReport:
    fields: dict[str, object] = {
        "run_id": "r1",
        "seed": 7,
        "orders": 30,
        "webhooks": 66,
        "seconds": 9.51,
        "balances": [
            PartyBalance("merchant", "shop-uk", "GBP", 41356, -19309, 70802),
            PartyBalance("creator", "c-id", "IDR", 6762000, 0, 0),
        ],
        "holds": [
            WaitingHold("o-1", "GBP", "holding", datetime(2026, 12, 7, 9, 32, tzinfo=UTC), 32105),
            WaitingHold("o-2", "CNY", "awaiting_delivery", None, 18400),
        ],
        "payouts": [PayoutMade("merchant", "shop-uk", "GBP", 70802, "paid")],
        "trial_balance": [CurrencyTotal("GBP", 0, 317), CurrencyTotal("IDR", 0, 293)],
        "urls": {"orders API docs": "http://127.0.0.1:8001/docs"},
    }
    return SettlementReport(**{**fields, **changes})  # type: ignore[arg-type]


def test_money_is_shown_in_major_units_with_the_currencys_exponent() -> None:
    assert money(123456, "GBP") == "1,234.56"
    assert money(-19309, "GBP") == "-193.09"
    assert money(5, "CNY") == "0.05"
    assert money(1_500_000, "VND") == "1,500,000"
    assert money(0, "IDR") == "0.00"


def test_the_report_shows_each_partys_pending_available_and_paid_out() -> None:
    text = format_report(report())
    row = next(line for line in text.splitlines() if "shop-uk" in line and "GBP" in line)
    assert row.split()[-3:] == ["413.56", "-193.09", "708.02"]


def test_the_report_says_when_each_waiting_hold_releases() -> None:
    text = format_report(report())
    assert "2026-12-07 09:32" in next(line for line in text.splitlines() if "o-1" in line)
    assert "after delivery" in next(line for line in text.splitlines() if "o-2" in line)


def test_the_report_lists_payouts_and_the_urls() -> None:
    text = format_report(report())
    assert "708.02 GBP" in text
    assert "http://127.0.0.1:8001/docs" in text


def test_a_balanced_trial_balance_is_called_balanced_and_an_unbalanced_one_is_flagged() -> None:
    assert "balanced: every currency sums to zero" in format_report(report())
    broken = report(trial_balance=[CurrencyTotal("GBP", 1, 3)])
    assert "NOT BALANCED" in format_report(broken)


def test_no_payouts_and_no_waiting_holds_read_as_none() -> None:
    text = format_report(report(payouts=[], holds=[]))
    assert text.count("  none") == 2
