"""The payouts service's own Prometheus metrics (registered on the runtime's registry)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge

from services.payouts.domain.holds import HOLD_STATUSES, Hold


class PayoutsMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.holds = Gauge("payouts_holds", "Holds by status.", ["status"], registry=registry)
        self.due_unreleased = Gauge(
            "payouts_due_unreleased_holds",
            "Holds due by database time but not yet released.",
            registry=registry,
        )
        self.oldest_due_age = Gauge(
            "payouts_oldest_due_unreleased_age_seconds",
            "Seconds since the oldest due, unreleased hold became due (0 when none).",
            registry=registry,
        )
        self.releases = Counter(
            "payouts_releases", "Holds released (settlement.released queued).", registry=registry
        )
        self.released_amount = Counter(
            "payouts_released_amount",
            "Amounts released, in minor units of the currency.",
            ["currency"],
            registry=registry,
        )
        self.payouts = Counter(
            "payouts", "Payouts by outcome (created, paid, failed).", ["outcome"], registry=registry
        )
        self.reconciliation_differences = Gauge(
            "settlement_reconciliation_differences",
            "Differences the last reconciliation found: kind=balance (a party and currency whose "
            "pending or available differs from the ledger's), kind=payout (a payout whose "
            "provider status differs from ours).",
            ["kind"],
            registry=registry,
        )
        self.reconciliation_runs = Counter(
            "settlement_reconciliation_runs",
            "Reconciliations by outcome: ok (compared), error (a side could not be read).",
            ["outcome"],
            registry=registry,
        )
        for outcome in ("ok", "error"):
            self.reconciliation_runs.labels(outcome=outcome)

    def record_releases(self, released: Iterable[Hold]) -> None:
        for hold in released:
            self.releases.inc()
            self.released_amount.labels(currency=hold.currency).inc(hold.total)

    def set_hold_counts(self, counts: dict[str, int]) -> None:
        for status in HOLD_STATUSES:
            self.holds.labels(status=status).set(counts.get(status, 0))

    def record_reconciliation(self, balance_differences: int, payout_differences: int) -> None:
        self.reconciliation_differences.labels(kind="balance").set(balance_differences)
        self.reconciliation_differences.labels(kind="payout").set(payout_differences)
        self.reconciliation_runs.labels(outcome="ok").inc()

    def record_reconciliation_failure(self) -> None:
        self.reconciliation_runs.labels(outcome="error").inc()
