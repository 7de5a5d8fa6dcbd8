"""Safe aiokafka settings: what aiokafka leaves unsafe by default is set explicitly here."""

from __future__ import annotations

from typing import Any

SEND_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


def producer_config(bootstrap_servers: str, client_id: str) -> dict[str, Any]:
    return {
        "bootstrap_servers": bootstrap_servers,
        "client_id": client_id,
        "acks": "all",
        "enable_idempotence": True,
        "request_timeout_ms": 15_000,
        "linger_ms": 5,
        "max_batch_size": 256 * 1024,
    }


def consumer_config(bootstrap_servers: str, group_id: str | None, client_id: str) -> dict[str, Any]:
    """`group_id=None`: no group; the consumer reads every partition and commits nothing."""
    return {
        "bootstrap_servers": bootstrap_servers,
        "group_id": group_id,
        "client_id": client_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "isolation_level": "read_committed",
        "request_timeout_ms": 15_000,
        "session_timeout_ms": 10_000,
        "heartbeat_interval_ms": 3_000,
        "max_poll_interval_ms": 300_000,
        "fetch_min_bytes": 64 * 1024,
        "fetch_max_wait_ms": 50,
        "max_partition_fetch_bytes": 4 * 1024 * 1024,
    }
