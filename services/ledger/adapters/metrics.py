"""The ledger's own Prometheus metric (the consumer's lag, batches and dead letters are the
shared ``kafka_consumer_*`` ones)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector


class FoldedEvents(Collector):
    """``ledger_events_folded_total``: events folded into the journal, read from the folder's
    own count at scrape time (each CloudEvent once; redeliveries are not counted)."""

    def __init__(self, folded_total: Callable[[], int]) -> None:
        self._folded_total = folded_total

    def collect(self) -> Iterator[CounterMetricFamily]:
        yield CounterMetricFamily(
            "ledger_events_folded",
            "Events folded into the journal (each CloudEvent once; redeliveries not counted).",
            value=self._folded_total(),
        )

    def register(self, registry: CollectorRegistry) -> FoldedEvents:
        registry.register(self)
        return self
