"""The settlement report printed at the end of the demo (pure: data in, text out).

Amounts are integer minor units in the data and shown in major units with the currency's
ISO 4217 exponent (``1234`` GBP -> ``12.34``; IDR has 2 decimals, VND none).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.money import exponent


@dataclass(frozen=True)
class PartyBalance:
    party_type: str
    party_id: str
    currency: str
    pending: int
    available: int
    paid_out: int


@dataclass(frozen=True)
class WaitingHold:
    order_id: str
    currency: str
    status: str
    release_at: datetime | None
    amount: int


@dataclass(frozen=True)
class PayoutMade:
    party_type: str
    party_id: str
    currency: str
    amount: int
    status: str


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    total: int
    postings: int


@dataclass(frozen=True)
class SettlementReport:
    run_id: str
    seed: int
    orders: int
    webhooks: int
    seconds: float
    balances: Sequence[PartyBalance]
    holds: Sequence[WaitingHold]
    payouts: Sequence[PayoutMade]
    trial_balance: Sequence[CurrencyTotal]
    urls: Mapping[str, str]


def money(amount: int, currency: str) -> str:
    """``amount`` minor units as a signed major-unit figure with thousands separators."""
    digits = exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), 10**digits)
    return f"{sign}{whole:,}" + (f".{fraction:0{digits}d}" if digits else "")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(width) if index in right else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [f"  {line(header)}", *(f"  {line(row)}" for row in rows)]


def format_report(report: SettlementReport) -> str:
    out = [
        "",
        f"SETTLEMENT REPORT  run {report.run_id} (seed {report.seed}): {report.orders} orders, "
        f"{report.webhooks} webhooks, {report.seconds:.1f}s",
        "",
        "Balances per party (ledger; platform and tax accounts include earlier runs)",
    ]
    out += _table(
        ("party", "id", "currency", "pending", "available", "paid out"),
        [
            (
                b.party_type,
                b.party_id,
                b.currency,
                money(b.pending, b.currency),
                money(b.available, b.currency),
                money(b.paid_out, b.currency),
            )
            for b in report.balances
        ],
        right={3, 4, 5},
    )
    out += ["", "Holds still waiting (payouts)"]
    if report.holds:
        out += _table(
            ("order", "status", "releases at (UTC)", "held"),
            [
                (
                    h.order_id,
                    h.status,
                    h.release_at.strftime("%Y-%m-%d %H:%M") if h.release_at else "after delivery",
                    f"{money(h.amount, h.currency)} {h.currency}",
                )
                for h in report.holds
            ],
            right={3},
        )
    else:
        out.append("  none")
    out += ["", "Payouts made"]
    if report.payouts:
        out += _table(
            ("party", "id", "amount", "status"),
            [
                (p.party_type, p.party_id, f"{money(p.amount, p.currency)} {p.currency}", p.status)
                for p in report.payouts
            ],
            right={2},
        )
    else:
        out.append("  none")
    balanced = all(t.total == 0 for t in report.trial_balance)
    verdict = "balanced: every currency sums to zero" if balanced else "NOT BALANCED"
    out += ["", f"Trial balance ({verdict})"]
    out += _table(
        ("currency", "sum of postings", "postings"),
        [(t.currency, money(t.total, t.currency), str(t.postings)) for t in report.trial_balance],
        right={1, 2},
    )
    out += ["", "The system is up:"]
    width = max((len(name) for name in report.urls), default=0)
    out += [f"  {name:<{width}}  {url}" for name, url in report.urls.items()]
    return "\n".join(out) + "\n"
