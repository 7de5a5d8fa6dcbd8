"""Settings of the payouts service (see README, Configuration)."""

from __future__ import annotations

from datetime import time

from pydantic import Field, model_validator

from shared.settings import ServiceSettings


class PayoutsSettings(ServiceSettings):
    service_name: str = "payouts"
    http_port: int = Field(8003, ge=1, le=65535, validation_alias="PAYOUTS_PORT")
    database_name: str = Field("payouts", validation_alias="PAYOUTS_DB")
    database_url_override: str | None = Field(None, validation_alias="PAYOUTS_DATABASE_URL")
    migration_database_url_override: str | None = Field(
        None, validation_alias="PAYOUTS_MIGRATION_DATABASE_URL"
    )
    ledger_consumer_group: str = Field(
        "payouts-ledger", min_length=1, validation_alias="PAYOUTS_LEDGER_CONSUMER_GROUP"
    )
    release_tick_s: float = Field(1.0, gt=0, le=3600, validation_alias="PAYOUTS_RELEASE_TICK_S")
    """Pause between scans for due holds when the last scan found less than a full batch."""
    release_batch_size: int = Field(
        500, ge=1, le=10_000, validation_alias="PAYOUTS_RELEASE_BATCH_SIZE"
    )
    payout_schedule_enabled: bool = Field(True, validation_alias="PAYOUTS_SCHEDULE_ENABLED")
    payout_schedule_at: time = Field(time(2, 0), validation_alias="PAYOUTS_SCHEDULE_AT")
    """UTC time of day from which the day's scheduled payout run starts (once per day)."""
    payout_schedule_poll_s: float = Field(
        30.0, gt=0, le=3600, validation_alias="PAYOUTS_SCHEDULE_POLL_S"
    )
    bank_failure_rate: float = Field(0.0, ge=0, le=1, validation_alias="PAYOUTS_BANK_FAILURE_RATE")
    """Share of payouts the simulated bank declines (local and test environments)."""
    bank_timeout_after_pay_rate: float = Field(
        0.0, ge=0, le=1, validation_alias="PAYOUTS_BANK_TIMEOUT_AFTER_PAY_RATE"
    )
    """Share of calls the simulated bank books as paid and then does not answer (times out)."""
    bank_timeout_rate: float = Field(0.0, ge=0, le=1, validation_alias="PAYOUTS_BANK_TIMEOUT_RATE")
    """Share of calls the simulated bank times out on without booking anything."""
    bank_delay_ms: int = Field(0, ge=0, le=600_000, validation_alias="PAYOUTS_BANK_DELAY_MS")
    """How long the simulated bank takes to answer each call."""
    bank_seed: int = Field(0, validation_alias="PAYOUTS_BANK_SEED")
    bank_timeout_s: float = Field(5.0, gt=0, le=120, validation_alias="PAYOUTS_BANK_TIMEOUT_S")
    """A provider call not answered within this is an unknown outcome (the payout stays
    pending); it also bounds how long the payout's row lock is held."""
    payout_retry_s: float = Field(5.0, gt=0, le=86_400, validation_alias="PAYOUTS_PAYOUT_RETRY_S")
    """Wait before the first retry of a payout the provider did not answer; doubles per retry."""
    payout_retry_max_s: float = Field(
        300.0, gt=0, le=86_400, validation_alias="PAYOUTS_PAYOUT_RETRY_MAX_S"
    )
    """Longest wait between two retries of a payout."""
    payout_retry_tick_s: float = Field(
        1.0, gt=0, le=3600, validation_alias="PAYOUTS_PAYOUT_RETRY_TICK_S"
    )
    """How often the retry worker looks for payouts due for another call."""
    metrics_refresh_s: float = Field(2.0, gt=0, le=600, validation_alias="PAYOUTS_METRICS_S")
    ledger_url: str | None = Field(
        None, pattern=r"^https?://[^\s/]+", validation_alias="PAYOUTS_LEDGER_URL"
    )
    """Base URL of the ledger's API, read by reconciliation; default from `LEDGER_PORT`."""
    ledger_port: int = Field(8002, ge=1, le=65535, validation_alias="LEDGER_PORT")
    reconciliation_interval_s: float = Field(
        60.0, gt=0, le=86_400, validation_alias="PAYOUTS_RECONCILIATION_INTERVAL_S"
    )
    """Pause between the worker's reconciliations (the first one comes after one pause)."""
    reconciliation_confirm_s: float = Field(
        2.0, ge=0, le=60, validation_alias="PAYOUTS_RECONCILIATION_CONFIRM_S"
    )
    """Wait before a second look confirms differences (0: one look, in-flight events included)."""
    reconciliation_payout_days: int = Field(
        30, ge=1, le=3_650, validation_alias="PAYOUTS_RECONCILIATION_PAYOUT_DAYS"
    )
    """Payouts created in this many days are compared with the provider's records."""

    @model_validator(mode="after")
    def _retry_cap_not_below_base(self) -> PayoutsSettings:
        if self.payout_retry_max_s < self.payout_retry_s:
            raise ValueError("PAYOUTS_PAYOUT_RETRY_MAX_S must be >= PAYOUTS_PAYOUT_RETRY_S")
        return self

    @property
    def ledger_base_url(self) -> str:
        return (self.ledger_url or f"http://127.0.0.1:{self.ledger_port}").rstrip("/")
