"""The reconciliation alerts fire when they should (`promtool test rules` over synthetic series)
and the dashboard shows the reconciliation metrics the payouts service defines."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import yaml

from services.payouts.service import metrics

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "deploy" / "prometheus" / "reconciliation-alerts.yml"
PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "settlement-dashboard.json"

DIFFERENCES_ALERT = {
    "alertname": "ReconciliationDifferences",
    "severity": "page",
    "kind": "balance",
}


def promtool_test(
    tmp_path: Path, tests: list[dict[str, object]]
) -> subprocess.CompletedProcess[str]:
    spec = {"rule_files": [str(RULES)], "evaluation_interval": "1m", "tests": tests}
    path = tmp_path / "reconciliation-rules-test.yml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return subprocess.run(
        ["promtool", "test", "rules", str(path)], capture_output=True, text=True, timeout=60
    )


def differences_case(series: str, fires: bool) -> dict[str, object]:
    alerts = (
        [{"exp_labels": DIFFERENCES_ALERT, "exp_annotations": _annotations("balance", "2")}]
        if fires
        else []
    )
    return {
        "interval": "1m",
        "input_series": [
            {"series": 'settlement_reconciliation_differences{job="payouts",kind="balance"}',
             "values": series},
            {"series": 'settlement_reconciliation_differences{job="payouts",kind="payout"}',
             "values": "0x20"},
        ],
        "alert_rule_test": [
            {"eval_time": "12m", "alertname": "ReconciliationDifferences", "exp_alerts": alerts}
        ],
    }  # fmt: skip


def _annotations(kind: str, value: str) -> dict[str, str]:
    return {
        "summary": f"{value} {kind} difference(s) between payouts, ledger and provider",
        "description": "Run `settlement reconcile` to see each party or payout with both figures.",
    }


def test_the_differences_alert_fires_after_five_minutes_above_zero(tmp_path: Path) -> None:
    checked = promtool_test(tmp_path, [differences_case("0 0 0 0 0 2x15", fires=True)])
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_differences_alert_stays_quiet_at_zero_and_for_a_passing_blip(tmp_path: Path) -> None:
    quiet = differences_case("0x20", fires=False)
    blip = differences_case("0x8 3 3 0x10", fires=False)  # in flight for two minutes, then gone
    checked = promtool_test(tmp_path, [quiet, blip])
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_test_harness_would_notice_a_wrong_expectation(tmp_path: Path) -> None:
    # Guards the two tests above: promtool must fail when the alert does not do what we claim.
    checked = promtool_test(tmp_path, [differences_case("0x20", fires=True)])
    assert checked.returncode != 0


def test_the_failing_reconciliation_alert_fires_when_runs_keep_failing(tmp_path: Path) -> None:
    runs = 'settlement_reconciliation_runs_total{job="payouts",outcome="%s"}'
    firing = {
        "exp_labels": {"severity": "ticket"},
        "exp_annotations": {
            "summary": "No reconciliation has succeeded for 15 minutes "
            "(ledger or provider unreachable?)",
            "description": "The payouts service logs reconciliation_failed with the reason.",
        },
    }
    case: dict[str, object] = {
        "interval": "1m",
        "input_series": [
            # One run a minute succeeds for ten minutes, then every run fails.
            {"series": runs % "ok", "values": "0+1x10 10x40"},
            {"series": runs % "error", "values": "0x10 1+1x40"},
        ],
        "alert_rule_test": [
            {"eval_time": "20m", "alertname": "ReconciliationNotRunning", "exp_alerts": []},
            {"eval_time": "28m", "alertname": "ReconciliationNotRunning", "exp_alerts": []},
            {"eval_time": "32m", "alertname": "ReconciliationNotRunning", "exp_alerts": [firing]},
        ],
    }
    checked = promtool_test(tmp_path, [case])
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_prometheus_loads_the_reconciliation_rules() -> None:
    checked = subprocess.run(
        ["promtool", "check", "config", str(PROMETHEUS)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "reconciliation-alerts.yml" in checked.stdout
    assert "SUCCESS: 2 rules found" in checked.stdout


def test_the_dashboard_shows_the_reconciliation_metrics_the_service_defines() -> None:
    source = Path(metrics.__file__).read_text()
    defined = set(re.findall(r'(?:Gauge|Counter)\(\s*"([a-z_]+)"', source))
    exprs = [t["expr"] for p in json.loads(DASHBOARD.read_text())["panels"] for t in p["targets"]]
    used = {
        name.removesuffix("_total")
        for expr in exprs
        for name in re.findall(r"\b(settlement_reconciliation_[a-z_]+)\b", expr)
    }
    assert used == {"settlement_reconciliation_differences", "settlement_reconciliation_runs"}
    assert used <= defined
