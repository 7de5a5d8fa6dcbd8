"""Settings of the ledger service (see README, Configuration)."""

from __future__ import annotations

import os

from pydantic import Field

from services.ledger.adapters.db.placed_cache import PLACED_CACHE_ORDERS
from shared.settings import ServiceSettings


class LedgerSettings(ServiceSettings):
    service_name: str = "ledger"
    http_port: int = Field(8002, ge=1, le=65535, validation_alias="LEDGER_PORT")
    database_name: str = Field("ledger", validation_alias="LEDGER_DB")
    database_url_override: str | None = Field(None, validation_alias="LEDGER_DATABASE_URL")
    migration_database_url_override: str | None = Field(
        None, validation_alias="LEDGER_MIGRATION_DATABASE_URL"
    )
    consumer_group: str = Field("ledger", min_length=1, validation_alias="LEDGER_CONSUMER_GROUP")
    """Kafka group of the fold consumer; positions live in the database, so the group only
    spreads partitions over replicas and shows lag in Kafka tooling."""
    fold_batch_size: int = Field(500, ge=1, le=10_000, validation_alias="LEDGER_FOLD_BATCH_SIZE")
    """Most records folded in one database transaction."""
    placed_cache_orders: int = Field(
        PLACED_CACHE_ORDERS, ge=0, le=1_000_000, validation_alias="LEDGER_PLACED_CACHE_ORDERS"
    )
    """Orders whose parsed placement and split the fold keeps in memory (least recently used
    out); a miss re-reads the placement from the database."""
    replay_workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        le=64,
        validation_alias="LEDGER_REPLAY_WORKERS",
    )
    """Processes a replay folds in (default: one per CPU; see ``replay_rebuild.py``)."""
