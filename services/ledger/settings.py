"""Settings of the ledger service (see README, Configuration)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class LedgerSettings(ServiceSettings):
    service_name: str = "ledger"
    http_port: int = Field(8002, ge=1, le=65535, validation_alias="LEDGER_PORT")
    database_name: str = Field("ledger", validation_alias="LEDGER_DB")
    database_url_override: str | None = Field(None, validation_alias="LEDGER_DATABASE_URL")
