"""Typed settings shared by every service, read once from the environment.

Each service subclasses `ServiceSettings` and names its own port and database. Secrets that still
hold a local placeholder are refused outside local mode, so a production deploy cannot start with
the development admin token.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.auth import (
    DEFAULT_KEY_ID,
    DEFAULT_MAX_READ_TOKEN_TTL,
    DEFAULT_READ_TOKEN_TTL,
    MAX_READ_TOKEN_LIFETIME,
    SigningKeys,
)
from shared.events import auth_v1
from shared.read_tokens import parse_key_list

LOCAL_ADMIN_TOKEN = "local-admin-token-not-for-production"  # noqa: S105 (refused outside local)
LOCAL_SIGNING_KEY = "local-signing-key-not-for-production"
_PLACEHOLDERS = {"", "changeme", "change-me", "secret", LOCAL_ADMIN_TOKEN, LOCAL_SIGNING_KEY}
_MIN_SECRET_LENGTH = 32
_DB_PLACEHOLDERS = {"", "settlement", "changeme", "change-me", "secret", "postgres"}


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
    """The cluster's administrator: tooling only (creating databases, tests), never a service."""
    pg_password: SecretStr = Field(SecretStr("settlement"), validation_alias="PG_PASSWORD")
    db_user: str | None = Field(None, validation_alias="DB_USER")
    """The role this service connects as (default ``<service>_service``): data only, no DDL, and
    INSERT and SELECT only on append-only tables (deploy/postgres/roles.sql, the migrations)."""
    db_password: SecretStr = Field(SecretStr("settlement"), validation_alias="DB_PASSWORD")
    db_owner_user: str = Field("settlement_owner", validation_alias="DB_OWNER_USER")
    """The role that runs migrations and owns the tables and triggers."""
    db_owner_password: SecretStr = Field(
        SecretStr("settlement"), validation_alias="DB_OWNER_PASSWORD"
    )
    migration_database_url_override: str | None = None
    db_pool_size: int = Field(10, ge=1, le=100, validation_alias="DB_POOL_SIZE")
    db_pool_pre_ping: bool = Field(
        True, validation_alias="DB_POOL_PRE_PING", description="test connections at checkout"
    )
    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP")
    admin_token: SecretStr = Field(SecretStr(LOCAL_ADMIN_TOKEN), validation_alias="ADMIN_TOKEN")
    token_signing_key: SecretStr | None = Field(
        None,
        validation_alias="TOKEN_SIGNING_KEY",
        description="the active signing key's secret (key id TOKEN_SIGNING_KEY_ID)",
    )
    token_signing_keys: SecretStr | None = Field(
        None,
        validation_alias="TOKEN_SIGNING_KEYS",
        description="every key read tokens verify with: 'key-id:secret,key-id:secret'",
    )
    token_signing_key_id: str = Field(
        DEFAULT_KEY_ID, validation_alias="TOKEN_SIGNING_KEY_ID", pattern=r"^[A-Za-z0-9_-]{1,32}$"
    )
    read_token_ttl_s: int = Field(
        int(DEFAULT_READ_TOKEN_TTL.total_seconds()),
        ge=60,
        le=int(MAX_READ_TOKEN_LIFETIME.total_seconds()),
        validation_alias="READ_TOKEN_TTL_S",
    )
    read_token_max_ttl_s: int = Field(
        int(DEFAULT_MAX_READ_TOKEN_TTL.total_seconds()),
        ge=60,
        le=int(MAX_READ_TOKEN_LIFETIME.total_seconds()),
        validation_alias="READ_TOKEN_MAX_TTL_S",
    )
    revocations_max_staleness_s: float = Field(
        30.0, gt=0, le=3600, validation_alias="TOKEN_REVOCATIONS_MAX_STALENESS_S"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias="LOG_LEVEL"
    )
    topic_orders: str = Field("orders.v1", validation_alias="TOPIC_ORDERS")
    topic_ledger: str = Field("ledger.v1", validation_alias="TOPIC_LEDGER")
    topic_payouts: str = Field("payouts.v1", validation_alias="TOPIC_PAYOUTS")
    topic_revocations: str = Field(auth_v1.TOPIC, validation_alias="TOPIC_REVOCATIONS")
    outbox_poll_interval_s: float = Field(0.02, gt=0, le=5, validation_alias="OUTBOX_POLL_S")
    outbox_batch_size: int = Field(500, ge=1, le=10_000, validation_alias="OUTBOX_BATCH_SIZE")

    @property
    def service_role(self) -> str:
        return self.db_user or f"{self.service_name}_service"

    @property
    def database_url(self) -> str:
        """SQLAlchemy URL (asyncpg driver) of this service's own database, as its service role."""
        if self.database_url_override:
            return self.database_url_override
        return self._url(self.service_role, self.db_password)

    @property
    def migration_database_url(self) -> str:
        """The same database as the owner role, for migrations. A ``*_DATABASE_URL`` override
        without a ``*_MIGRATION_DATABASE_URL`` one serves for both (one role does everything)."""
        if self.migration_database_url_override:
            return self.migration_database_url_override
        if self.database_url_override:
            return self.database_url_override
        return self._url(self.db_owner_user, self.db_owner_password)

    @property
    def admin_database_url(self) -> str:
        """The same database as the cluster's administrator (tooling and tests only)."""
        return self._url(self.pg_user, self.pg_password)

    def _url(self, user: str, password: SecretStr) -> str:
        return (
            f"postgresql+asyncpg://{user}:{password.get_secret_value()}"
            f"@{self.pg_host}:{self.pg_port}/{self.database_name}"
        )

    @property
    def signing_keys(self) -> SigningKeys:
        """The keys read tokens verify with and the active one (`TOKEN_SIGNING_KEY_ID`).

        `TOKEN_SIGNING_KEYS` lists every key; `TOKEN_SIGNING_KEY` is the active key's secret,
        added to that list (it must agree with the list's entry for the active id, if any). With
        neither, local mode signs with a placeholder, which any other mode refuses.
        """
        active = self.token_signing_key_id
        listed = _secret_or_none(self.token_signing_keys)
        keys = parse_key_list(listed) if listed else {}
        secret = _secret_or_none(self.token_signing_key)
        if secret is None and not keys:
            secret = LOCAL_SIGNING_KEY
        if secret is not None:
            if keys.get(active, secret.encode()) != secret.encode():
                raise ValueError(
                    f"TOKEN_SIGNING_KEY differs from key {active!r} in TOKEN_SIGNING_KEYS"
                )
            keys[active] = secret.encode()
        return SigningKeys(active, keys)

    @property
    def read_token_ttl(self) -> timedelta:
        return timedelta(seconds=self.read_token_ttl_s)

    @property
    def read_token_max_ttl(self) -> timedelta:
        return timedelta(seconds=self.read_token_max_ttl_s)

    @model_validator(mode="after")
    def _check_token_settings(self) -> ServiceSettings:
        if self.read_token_ttl_s > self.read_token_max_ttl_s:
            raise ValueError("READ_TOKEN_TTL_S must not exceed READ_TOKEN_MAX_TTL_S")
        keys = self.signing_keys  # raises ValueError on a malformed or inconsistent key set
        if self.environment == "local":
            return self
        secrets = {"ADMIN_TOKEN": self.admin_token.get_secret_value()}
        secrets |= {f"TOKEN_SIGNING_KEY {kid!r}": key.decode() for kid, key in keys.keys.items()}
        for name, secret in secrets.items():
            if secret.lower() in _PLACEHOLDERS or len(secret) < _MIN_SECRET_LENGTH:
                raise ValueError(
                    f"{name} must be a real secret of at least {_MIN_SECRET_LENGTH} "
                    f"characters outside local mode"
                )
        if not self.database_url_override:
            for name in ("db_password", "db_owner_password"):
                if getattr(self, name).get_secret_value().lower() in _DB_PLACEHOLDERS:
                    raise ValueError(f"{name.upper()} must be set outside local mode")
        return self


def _secret_or_none(value: SecretStr | None) -> str | None:
    """An unset or empty variable (compose writes `${VAR:-}`) is no secret."""
    secret = value.get_secret_value().strip() if value is not None else ""
    return secret or None
