from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.settings import LOCAL_ADMIN_TOKEN, ServiceSettings

REAL_SECRET = "a3f1c9e0b7d24c6e8f5a1b2c3d4e5f60718293a4"


def test_local_mode_runs_with_the_development_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ADMIN_TOKEN", raising=False)
    monkeypatch.setenv("SETTLEMENT_ENV", "local")
    assert ServiceSettings().admin_token.get_secret_value() == LOCAL_ADMIN_TOKEN


@pytest.mark.parametrize("admin_token", ["", "changeme", LOCAL_ADMIN_TOKEN, "short-but-real"])
def test_production_refuses_a_placeholder_or_short_admin_token(
    monkeypatch: pytest.MonkeyPatch, admin_token: str
) -> None:
    monkeypatch.setenv("SETTLEMENT_ENV", "production")
    monkeypatch.setenv("ADMIN_TOKEN", admin_token)
    monkeypatch.setenv("TOKEN_SIGNING_KEY", REAL_SECRET)
    with pytest.raises(ValidationError, match="ADMIN_TOKEN"):
        ServiceSettings()


def test_production_starts_with_real_secrets_and_builds_the_database_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SETTLEMENT_ENV", "production")
    monkeypatch.setenv("ADMIN_TOKEN", REAL_SECRET)
    monkeypatch.setenv("TOKEN_SIGNING_KEY", REAL_SECRET[::-1])
    monkeypatch.setenv("PG_HOST", "db.internal")
    monkeypatch.setenv("PG_PORT", "5433")
    monkeypatch.setenv("DB_PASSWORD", "serving-password")
    monkeypatch.setenv("DB_OWNER_PASSWORD", "owner-password")
    settings = ServiceSettings(service_name="ledger", database_name="ledger")
    assert settings.database_url == (
        "postgresql+asyncpg://ledger_service:serving-password@db.internal:5433/ledger"
    )
    assert settings.migration_database_url == (
        "postgresql+asyncpg://settlement_owner:owner-password@db.internal:5433/ledger"
    )
    monkeypatch.delenv("DB_OWNER_PASSWORD")
    with pytest.raises(ValueError, match="DB_OWNER_PASSWORD must be set"):
        ServiceSettings(service_name="ledger", database_name="ledger")
