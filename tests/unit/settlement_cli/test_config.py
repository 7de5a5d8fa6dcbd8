from pathlib import Path

import pytest

from settlement_cli.config import ConfigError, endpoints


def test_the_admin_token_comes_from_the_environment_first(tmp_path: Path) -> None:
    (tmp_path / "admin-token").write_text("from-file\n")
    env = {"ADMIN_TOKEN": "from-env", "SETTLEMENT_STATE_DIR": str(tmp_path)}
    assert endpoints(env).admin_token == "from-env"


def test_the_admin_token_falls_back_to_the_local_state_file(tmp_path: Path) -> None:
    (tmp_path / "admin-token").write_text("from-file\n")
    assert endpoints({"SETTLEMENT_STATE_DIR": str(tmp_path)}).admin_token == "from-file"


def test_without_any_admin_token_the_cli_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="make up"):
        endpoints({"SETTLEMENT_STATE_DIR": str(tmp_path)})


def test_service_urls_follow_the_ports_and_explicit_urls_win(tmp_path: Path) -> None:
    env = {
        "ADMIN_TOKEN": "t",
        "LEDGER_PORT": "9102",
        "PAYOUTS_URL": "http://payouts.internal/",
    }
    found = endpoints(env)
    assert found.orders == "http://127.0.0.1:8001"
    assert found.ledger == "http://127.0.0.1:9102"
    assert found.payouts == "http://payouts.internal"
