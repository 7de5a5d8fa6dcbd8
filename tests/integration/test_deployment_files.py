"""The deployment files for users with Docker are checked by tools, not by eye."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VENV_BIN = ROOT / ".venv" / "bin"


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_the_compose_file_follows_the_compose_specification() -> None:
    checked = run(
        str(VENV_BIN / "check-jsonschema"),
        "--builtin-schema",
        "vendor.compose-spec",
        str(DEPLOY / "docker-compose.yml"),
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_prometheus_config_and_its_alert_rules_pass_promtool() -> None:
    config = run("promtool", "check", "config", str(DEPLOY / "prometheus" / "prometheus.yml"))
    assert config.returncode == 0, config.stdout + config.stderr
    rules = run("promtool", "check", "rules", str(DEPLOY / "prometheus" / "alerts.yml"))
    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert "SUCCESS: 10 rules found" in rules.stdout


def test_every_service_in_compose_is_scraped_by_prometheus() -> None:
    config = (DEPLOY / "prometheus" / "prometheus.yml").read_text()
    for target in ("orders:8001", "ledger:8002", "payouts:8003"):
        assert target in config
