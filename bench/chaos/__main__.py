"""`make chaos`: the fault matrix on a replicated stack (see bench/chaos/matrix.py).

    .venv/bin/python -m bench.chaos [--quick] [--only SCENARIO ...] [--deadline-s 840]

Prints the scenario x invariant table, writes bench/chaos.json and exits 1 when an invariant
was violated or a scenario could not run to its checks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from bench.chaos.faults import BY_NAME, QUICK, SCENARIOS
from bench.chaos.infra import ROOT
from bench.chaos.matrix import run_matrix
from bench.chaos.report import table, violations

RESULTS = ROOT / "bench" / "chaos.json"
DEADLINE_S = 840.0
"""The whole matrix ends within 15 minutes: no scenario starts after this (setup included)."""


def _terminate(signum: int, _: FrameType | None) -> None:
    # SIGTERM unwinds like Ctrl-C, so the private engines and the replicas are stopped.
    raise KeyboardInterrupt(f"signal {signum}")


def failed(matrix: dict[str, Any]) -> bool:
    scenarios = matrix["scenarios"]
    aborted = [r for r in scenarios if str(r.get("skipped", "")).startswith("aborted")]
    restless = [r for r in scenarios if r.get("quiescent") is False]
    return bool(violations(matrix) or aborted or restless)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}")
    parser.add_argument("--only", nargs="+", choices=sorted(BY_NAME), metavar="SCENARIO")
    parser.add_argument("--deadline-s", type=float, default=DEADLINE_S)
    parser.add_argument("--output", type=Path, default=RESULTS)
    arguments = parser.parse_args()
    names = arguments.only or (list(QUICK) if arguments.quick else [s.name for s in SCENARIOS])
    signal.signal(signal.SIGTERM, _terminate)
    with tempfile.TemporaryDirectory(prefix="chaos-logs-") as logs:
        matrix = asyncio.run(run_matrix(names, Path(logs), arguments.deadline_s))
        if failed(matrix):
            kept = Path(tempfile.mkdtemp(prefix="chaos-failed-logs-"))
            for log in Path(logs).iterdir():
                kept.joinpath(log.name).write_bytes(log.read_bytes())
            matrix["logs"] = str(kept)
    matrix = {
        "command": " ".join([".venv/bin/python -m bench.chaos", *sys.argv[1:]]),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **matrix,
    }
    arguments.output.write_text(json.dumps(matrix, indent=2, default=str) + "\n")
    print(table(matrix))
    for line in violations(matrix):
        print(f"VIOLATED {line}")
    print(f"\nwritten to {arguments.output}")
    return 1 if failed(matrix) else 0


if __name__ == "__main__":
    sys.exit(main())
