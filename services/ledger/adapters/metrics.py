"""The ledger's own Prometheus metrics, registered on the runtime's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from shared.kafka.consumer_metrics import ConsumerLag


class LedgerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.events_folded = Counter(
            "ledger_events_folded",
            "Events folded into the journal (each CloudEvent once; redeliveries not counted).",
            registry=registry,
        )
        self.batch_duration = Histogram(
            "ledger_batch_duration_seconds",
            "Time to fold one consumed batch, from decoding to commit.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=registry,
        )
        self.dead_letters = Counter(
            "ledger_dead_letters",
            "Records the ledger could not fold and sent to <topic>.dlq.",
            ["topic"],
            registry=registry,
        )
        self.lag = ConsumerLag(registry)
