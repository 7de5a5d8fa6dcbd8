"""Settings of the orders service (see README, Configuration)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, SecretStr, model_validator

from shared.keyring import KeyRing
from shared.settings import ServiceSettings

# A fixed key so local runs and tests need no setup; refused outside SETTLEMENT_ENV=local.
LOCAL_SECRET_KEYS = "local:bG9jYWwtd2ViaG9vay1zZWNyZXRzLW5vdC1wcm9kISE"  # noqa: S105


class OrdersSettings(ServiceSettings):
    service_name: str = "orders"
    http_port: int = Field(8001, ge=1, le=65535, validation_alias="ORDERS_PORT")
    database_name: str = Field("orders", validation_alias="ORDERS_DB")
    database_url_override: str | None = Field(None, validation_alias="ORDERS_DATABASE_URL")
    migration_database_url_override: str | None = Field(
        None, validation_alias="ORDERS_MIGRATION_DATABASE_URL"
    )
    http_workers: int = Field(
        1,
        ge=1,
        le=32,
        validation_alias="ORDERS_HTTP_WORKERS",
        description="uvicorn worker processes; rate limits and /metrics are then per process",
    )
    db_pool_pre_ping: bool = Field(
        False,
        validation_alias="DB_POOL_PRE_PING",
        description="off: the webhook path checks its connection locally (unit_of_work)",
    )
    webhook_rate_per_s: float = Field(
        5_000, gt=0, validation_alias="ORDERS_WEBHOOK_RATE_PER_S", description="per shop"
    )
    webhook_burst: int = Field(
        10_000, ge=1, validation_alias="ORDERS_WEBHOOK_BURST", description="per shop"
    )
    webhook_group_size: int = Field(
        32,
        ge=1,
        le=1_000,
        validation_alias="ORDERS_WEBHOOK_GROUP_SIZE",
        description="webhooks committed in one transaction at most (group commit)",
    )
    webhook_group_wait_ms: float = Field(
        2,
        ge=0,
        le=1_000,
        validation_alias="ORDERS_WEBHOOK_GROUP_WAIT_MS",
        description="a group is committed this long after its first webhook arrived, if it "
        "did not fill up before",
    )
    failed_verifications_per_s: float = Field(
        1,
        gt=0,
        validation_alias="ORDERS_FAILED_VERIFICATIONS_PER_S",
        description="per client address: refill of its bucket of failed verifications",
    )
    failed_verifications_burst: int = Field(
        20,
        ge=1,
        validation_alias="ORDERS_FAILED_VERIFICATIONS_BURST",
        description="per client address: failed verifications (401, 404) before 429",
    )
    secret_keys: SecretStr = Field(
        SecretStr(LOCAL_SECRET_KEYS),
        validation_alias="ORDERS_SECRET_KEYS",
        description="kid:base64url(32 bytes),...: webhook secrets are sealed with the first "
        "(AES-256-GCM) and opened with any; see README, Rotating keys",
    )
    previous_secret_grace_s: float = Field(
        86_400,
        gt=0,
        le=30 * 86_400,
        validation_alias="ORDERS_PREVIOUS_SECRET_GRACE_S",
        description="how long a rotated-out webhook secret keeps verifying",
    )
    reseal_every_s: float = Field(
        300, gt=0, le=86_400, validation_alias="ORDERS_RESEAL_S", description="between reseals"
    )
    park_after_s: float = Field(
        7 * 86_400,
        gt=0,
        le=366 * 86_400,
        validation_alias="ORDERS_PARK_AFTER_S",
        description="an order not placed this long after its last fact has its facts parked",
    )
    park_sweep_s: float = Field(
        60, gt=0, le=86_400, validation_alias="ORDERS_PARK_SWEEP_S", description="between sweeps"
    )

    @property
    def park_after(self) -> timedelta:
        return timedelta(seconds=self.park_after_s)

    @property
    def secret_key_ring(self) -> KeyRing:
        return KeyRing.parse(self.secret_keys.get_secret_value(), key_bytes=32)

    @property
    def previous_secret_grace(self) -> timedelta:
        return timedelta(seconds=self.previous_secret_grace_s)

    @model_validator(mode="after")
    def _usable_secret_keys(self) -> OrdersSettings:
        self.secret_key_ring  # noqa: B018 -- parses, or raises with the reason
        if self.environment != "local" and self.secret_keys.get_secret_value() == LOCAL_SECRET_KEYS:
            raise ValueError("ORDERS_SECRET_KEYS must be set outside SETTLEMENT_ENV=local")
        return self
