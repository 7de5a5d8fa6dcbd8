"""Typed settings shared by every service, read once from the environment.

Each service subclasses `ServiceSettings` and names its own port and database. Secrets that still
hold a local placeholder are refused outside local mode, so a production deploy cannot start with
the development admin token.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_ADMIN_TOKEN = "local-admin-token-not-for-production"  # noqa: S105 (refused outside local)
LOCAL_SIGNING_KEY = "local-signing-key-not-for-production"
_PLACEHOLDERS = {"", "changeme", "change-me", "secret", LOCAL_ADMIN_TOKEN, LOCAL_SIGNING_KEY}
_MIN_SECRET_LENGTH = 32


class ServiceSettings(BaseSettings):
    """What every service needs: where PostgreSQL and Kafka are, its secrets, how to log."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    service_name: str = "service"
    environment: Literal["local", "test", "production"] = Field(
        "local", validation_alias="SETTLEMENT_ENV"
    )
    http_host: str = Field("127.0.0.1", validation_alias="HTTP_HOST")
    http_port: int = Field(8000, ge=1, le=65535)
    http_workers: int = Field(
        1, ge=1, le=32, description="uvicorn worker processes (services that support several)"
    )
    database_name: str = "postgres"
    database_url_override: str | None = None
    pg_host: str = Field("127.0.0.1", validation_alias="PG_HOST")
    pg_port: int = Field(5432, ge=1, le=65535, validation_alias="PG_PORT")
    pg_user: str = Field("settlement", validation_alias="PG_USER")
    pg_password: SecretStr = Field(SecretStr("settlement"), validation_alias="PG_PASSWORD")
    db_pool_size: int = Field(10, ge=1, le=100, validation_alias="DB_POOL_SIZE")
    db_pool_pre_ping: bool = Field(
        True, validation_alias="DB_POOL_PRE_PING", description="test connections at checkout"
    )
    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP")
    admin_token: SecretStr = Field(SecretStr(LOCAL_ADMIN_TOKEN), validation_alias="ADMIN_TOKEN")
    token_signing_key: SecretStr = Field(
        SecretStr(LOCAL_SIGNING_KEY), validation_alias="TOKEN_SIGNING_KEY"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias="LOG_LEVEL"
    )
    topic_orders: str = Field("orders.v1", validation_alias="TOPIC_ORDERS")
    topic_ledger: str = Field("ledger.v1", validation_alias="TOPIC_LEDGER")
    topic_payouts: str = Field("payouts.v1", validation_alias="TOPIC_PAYOUTS")
    outbox_poll_interval_s: float = Field(0.02, gt=0, le=5, validation_alias="OUTBOX_POLL_S")
    outbox_batch_size: int = Field(500, ge=1, le=10_000, validation_alias="OUTBOX_BATCH_SIZE")

    @property
    def database_url(self) -> str:
        """SQLAlchemy URL (asyncpg driver) of this service's own database."""
        if self.database_url_override:
            return self.database_url_override
        password = self.pg_password.get_secret_value()
        return (
            f"postgresql+asyncpg://{self.pg_user}:{password}"
            f"@{self.pg_host}:{self.pg_port}/{self.database_name}"
        )

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> ServiceSettings:
        if self.environment == "local":
            return self
        for name in ("admin_token", "token_signing_key"):
            value: SecretStr = getattr(self, name)
            secret = value.get_secret_value()
            if secret.lower() in _PLACEHOLDERS or len(secret) < _MIN_SECRET_LENGTH:
                raise ValueError(
                    f"{name.upper()} must be a real secret of at least {_MIN_SECRET_LENGTH} "
                    f"characters outside local mode"
                )
        return self
