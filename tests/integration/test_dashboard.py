"""The Grafana dashboard's queries are valid PromQL over metrics the services really expose."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "settlement-dashboard.json"
METRIC_SOURCES = [*ROOT.glob("shared/**/*.py"), *ROOT.glob("services/**/*.py")]


def queries() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel["targets"]]


def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    # promtool has no expression linter, but it parses the expressions of recording rules.
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:q{n}", "expr": q} for n, q in enumerate(queries())
                ],
            }
        ]
    }
    path = tmp_path / "dashboard-rules.yml"
    path.write_text(yaml.safe_dump(rules))
    checked = subprocess.run(
        ["promtool", "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_metric_on_the_dashboard_is_defined_by_a_service() -> None:
    source = "\n".join(path.read_text() for path in METRIC_SOURCES)
    kinds = r"(?:Counter|Gauge|Histogram)(?:MetricFamily)?"  # instruments and custom collectors
    defined = set(re.findall(rf'{kinds}\(\s*"([a-z_]+)"', source))
    exposed = (
        defined | {f"{name}_total" for name in defined} | {f"{name}_bucket" for name in defined}
    )
    used = {
        name
        for query in queries()
        for name in re.findall(r"\b([a-z_]+_(?:total|bucket|seconds|rows|holds|records))\b", query)
    }
    assert used <= exposed, used - exposed
