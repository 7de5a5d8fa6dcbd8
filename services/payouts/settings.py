"""Settings of the payouts service (see README, Configuration)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class PayoutsSettings(ServiceSettings):
    service_name: str = "payouts"
    http_port: int = Field(8003, ge=1, le=65535, validation_alias="PAYOUTS_PORT")
    database_name: str = Field("payouts", validation_alias="PAYOUTS_DB")
    database_url_override: str | None = Field(None, validation_alias="PAYOUTS_DATABASE_URL")
