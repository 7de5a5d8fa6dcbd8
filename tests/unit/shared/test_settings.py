from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.settings import LOCAL_ADMIN_TOKEN, LOCAL_SIGNING_KEY, ServiceSettings

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


OLD = "o" * 40
NEW = "n" * 40


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("TOKEN_SIGNING_KEY", "TOKEN_SIGNING_KEYS", "TOKEN_SIGNING_KEY_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SETTLEMENT_ENV", "production")
    monkeypatch.setenv("ADMIN_TOKEN", REAL_SECRET)
    monkeypatch.setenv("DB_PASSWORD", "serving-password")
    monkeypatch.setenv("DB_OWNER_PASSWORD", "owner-password")
    return monkeypatch


def test_one_signing_key_is_the_active_key_of_id_default(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("TOKEN_SIGNING_KEY", OLD)

    keys = ServiceSettings().signing_keys

    assert (keys.active_key_id, dict(keys.keys)) == ("default", {"default": OLD.encode()})


def test_a_key_list_and_an_active_key_id_give_every_verification_key(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("TOKEN_SIGNING_KEYS", f"default:{OLD},2026-11:{NEW}")
    clean_env.setenv("TOKEN_SIGNING_KEY_ID", "2026-11")

    keys = ServiceSettings().signing_keys

    assert keys.active_key_id == "2026-11"
    assert set(keys.keys) == {"default", "2026-11"}


def test_the_single_key_joins_the_list_as_the_active_key_while_they_agree(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("TOKEN_SIGNING_KEY", OLD)
    clean_env.setenv("TOKEN_SIGNING_KEYS", f"2026-11:{NEW}")
    assert set(ServiceSettings().signing_keys.keys) == {"default", "2026-11"}

    clean_env.setenv("TOKEN_SIGNING_KEY_ID", "2026-11")
    with pytest.raises(ValidationError, match="differs"):
        ServiceSettings()


@pytest.mark.parametrize(
    ("keys", "active", "message"),
    [
        (f"a:{OLD}", "b", "no key"),
        (f"a:{OLD},a:{NEW}", "a", "twice"),
        ("a:short", "a", "at least 32 bytes"),
        (f"a.b:{OLD}", "a.b", "TOKEN_SIGNING_KEY_ID"),
    ],
)
def test_a_bad_key_list_stops_the_service_at_start(
    clean_env: pytest.MonkeyPatch, keys: str, active: str, message: str
) -> None:
    clean_env.setenv("TOKEN_SIGNING_KEYS", keys)
    clean_env.setenv("TOKEN_SIGNING_KEY_ID", active)

    with pytest.raises(ValidationError, match=message):
        ServiceSettings()


def test_production_refuses_the_placeholder_key_anywhere_in_the_list(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("TOKEN_SIGNING_KEYS", f"a:{NEW},b:{LOCAL_SIGNING_KEY}")
    clean_env.setenv("TOKEN_SIGNING_KEY_ID", "a")

    with pytest.raises(ValidationError, match="TOKEN_SIGNING_KEY 'b'"):
        ServiceSettings()


def test_production_refuses_to_start_without_a_signing_key(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="TOKEN_SIGNING_KEY 'default'"):
        ServiceSettings()


def test_read_tokens_live_a_day_by_default_and_the_default_may_not_exceed_the_maximum(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("TOKEN_SIGNING_KEY", OLD)
    settings = ServiceSettings()
    assert (settings.read_token_ttl_s, settings.read_token_max_ttl_s) == (86_400, 7 * 86_400)

    clean_env.setenv("READ_TOKEN_TTL_S", str(8 * 86_400))
    with pytest.raises(ValidationError, match="READ_TOKEN_MAX_TTL_S"):
        ServiceSettings()
    clean_env.setenv("READ_TOKEN_MAX_TTL_S", str(31 * 86_400))
    with pytest.raises(ValidationError):
        ServiceSettings()
