"""Metrics every folding consumer exposes: how far behind it is, what it dead-lettered, how long
a batch takes. Names follow Prometheus conventions; labels are bounded (topic, partition)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from shared.kafka.consumer import ConsumedRecord, PositionKey


class ConsumerLag:
    """How far behind a consumer is, in records per partition and in seconds."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.records = Gauge(
            "kafka_consumer_lag_records",
            "Records between the consumer's position and the partition's end.",
            ["topic", "partition"],
            registry=registry,
        )
        self.seconds = Gauge(
            "kafka_consumer_lag_seconds",
            "Age of the newest record handled while records are waiting; 0 when caught up.",
            registry=registry,
        )

    def observe(self, lag: Mapping[PositionKey, int], records: Sequence[ConsumedRecord]) -> None:
        for (topic, partition), behind in lag.items():
            self.records.labels(topic=topic, partition=str(partition)).set(behind)
        if not any(lag.values()):
            self.seconds.set(0)
        elif records:
            newest_ms = max(record.timestamp_ms for record in records)
            self.seconds.set(max(0.0, time.time() - newest_ms / 1000))


class ConsumerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.records = Counter(
            "kafka_consumer_records",
            "Records handled (applied, repeated or dead-lettered), by topic.",
            ["topic"],
            registry=registry,
        )
        self.dead_letters = Counter(
            "kafka_consumer_dead_letters",
            "Records that could not be processed and went to <topic>.dlq, by source topic.",
            ["topic"],
            registry=registry,
        )
        self.batch_duration = Histogram(
            "kafka_consumer_batch_duration_seconds",
            "Time to apply one consumed batch, including its database commit.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=registry,
        )
        self.lag = ConsumerLag(registry)

    def observe_batch(self, records: Sequence[ConsumedRecord], seconds: float) -> None:
        self.batch_duration.observe(seconds)
        for record in records:
            self.records.labels(topic=record.topic).inc()

    def observe_lag(
        self, lag: Mapping[PositionKey, int], records: Sequence[ConsumedRecord]
    ) -> None:
        self.lag.observe(lag, records)

    def dead_lettered(self, record: ConsumedRecord) -> None:
        self.dead_letters.labels(topic=record.topic).inc()
