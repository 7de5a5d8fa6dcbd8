"""The payouts service's own Prometheus metrics (registered on the runtime's registry)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge

from services.payouts.domain.holds import HOLD_STATUSES, Hold
from services.payouts.domain.payout_attempts import NoAnswer, Paid, ProviderAnswer
from services.payouts.service.queries import Backlog


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
        self.provider_attempts = Counter(
            "payouts_provider_attempts",
            "Provider calls for payouts by outcome: paid, refused, unknown (no definite answer: "
            "timeout or error; the payout stays pending and is retried with the same id).",
            ["outcome"],
            registry=registry,
        )
        for outcome in ("paid", "refused", "unknown"):
            self.provider_attempts.labels(outcome=outcome)
        self.unsettled_payouts = Gauge(
            "payouts_pending",
            "Payouts created but not settled by a definite provider answer (status created).",
            registry=registry,
        )
        self.oldest_unsettled_payout_age = Gauge(
            "payouts_oldest_pending_age_seconds",
            "Seconds since the oldest unsettled payout was created (0 when none).",
            registry=registry,
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

    def record_payouts(self, outcome: str, count: int) -> None:
        """`count` payouts reached `outcome` (created, paid or failed)."""
        if count:
            self.payouts.labels(outcome=outcome).inc(count)

    def record_attempt(self, answer: ProviderAnswer) -> None:
        match answer:
            case Paid():
                outcome = "paid"
            case NoAnswer():
                outcome = "unknown"
            case _:
                outcome = "refused"
        self.provider_attempts.labels(outcome=outcome).inc()

    def set_backlog(self, backlog: Backlog) -> None:
        for status in HOLD_STATUSES:
            self.holds.labels(status=status).set(backlog.holds_by_status.get(status, 0))
        self.due_unreleased.set(backlog.due_unreleased)
        self.oldest_due_age.set(backlog.oldest_due_age_s)
        self.unsettled_payouts.set(backlog.unsettled_payouts)
        self.oldest_unsettled_payout_age.set(backlog.oldest_unsettled_age_s)

    def record_reconciliation(self, balance_differences: int, payout_differences: int) -> None:
        self.reconciliation_differences.labels(kind="balance").set(balance_differences)
        self.reconciliation_differences.labels(kind="payout").set(payout_differences)
        self.reconciliation_runs.labels(outcome="ok").inc()

    def record_reconciliation_failure(self) -> None:
        self.reconciliation_runs.labels(outcome="error").inc()
