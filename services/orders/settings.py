"""Settings of the orders service (see README, Configuration)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from shared.settings import ServiceSettings


class OrdersSettings(ServiceSettings):
    service_name: str = "orders"
    http_port: int = Field(8001, ge=1, le=65535, validation_alias="ORDERS_PORT")
    database_name: str = Field("orders", validation_alias="ORDERS_DB")
    database_url_override: str | None = Field(None, validation_alias="ORDERS_DATABASE_URL")
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
        description="off: the webhook path checks its connection locally (webhook_store)",
    )
    webhook_rate_per_s: float = Field(
        5_000, gt=0, validation_alias="ORDERS_WEBHOOK_RATE_PER_S", description="per shop"
    )
    webhook_burst: int = Field(
        10_000, ge=1, validation_alias="ORDERS_WEBHOOK_BURST", description="per shop"
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
