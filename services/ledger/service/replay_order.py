"""The order a replay folds records in, the same in both modes (verify and rebuild)."""

from __future__ import annotations

from shared.kafka.consumer import ConsumedRecord


def replay_order(record: ConsumedRecord) -> tuple[int, str, int, int]:
    """Sort key of the replay order: across topics only time orders events (a release is
    published after its order was posted); within a partition the offset does."""
    return (record.timestamp_ms, record.topic, record.partition, record.offset)
