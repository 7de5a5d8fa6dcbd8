"""The quick subset of `make chaos` (one kill, one broker restart, bank timeouts after paying):
the replicated stack on its own PostgreSQL and Kafka, which the faults stop and start, so the
instance the rest of the suite uses is never touched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.chaos.faults import QUICK
from bench.chaos.matrix import run_matrix
from bench.chaos.report import table, violations

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(480)]
DEADLINE_S = 300.0


async def test_every_invariant_holds_after_a_kill_a_broker_restart_and_bank_timeouts(
    tmp_path: Path,
) -> None:
    matrix = await run_matrix(list(QUICK), tmp_path, DEADLINE_S)
    # The services' logs and the whole matrix stay in tmp_path for a failure's post-mortem.
    (tmp_path / "chaos.json").write_text(json.dumps(matrix, indent=2, default=str))
    print(table(matrix))

    ran = {r["scenario"]: r for r in matrix["scenarios"]}
    assert list(ran) == list(QUICK)
    for name, result in ran.items():
        skipped = result.get("skipped", "")
        if name == "bank-timeouts" and skipped.startswith("not available"):
            continue  # the simulated bank cannot time out yet; said in the table
        assert not skipped, f"{name} did not run to its checks: {skipped}"
        assert result["quiescent"], f"{name}: the pipeline did not settle: {result['pipeline']}"
        statuses = {i: c["status"] for i, c in result["invariants"].items()}
        notes = {i: c["note"] for i, c in result["invariants"].items() if c["status"] != "ok"}
        assert statuses == dict.fromkeys(statuses, "ok") and len(statuses) == 7, (
            f"{name}: {statuses} {notes}\n" + "\n".join(violations(matrix))
        )
