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
    settings = ServiceSettings(database_name="ledger")
    assert settings.database_url.startswith("postgresql+asyncpg://settlement:")
    assert settings.database_url.endswith("@db.internal:5433/ledger")
