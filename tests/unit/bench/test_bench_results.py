"""The bench's results: the keys `bench/results.json` keeps, the figures derived from them and the
table printed. No timing here: speed targets live in the bench, never in tests."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bench import run, stack_load
from bench.generator_check import achieved_offered_per_s, kept_up
from bench.report import (
    RESULT_KEYS,
    complete,
    fold_ratio,
    missing_keys,
    peer_ratios,
    system_cpu_ms_per_order,
    table,
)
from bench.webhook_load import LoadResult

PRE_ISSUE_11_KEYS = {
    "command", "measured_at", "machine", "consumers_nice", "webhook_objective",
    "webhook_sustained_per_s", "webhook_p50_ms", "webhook_p99_ms", "sustained_e2e_lag_p50_ms",
    "sustained_e2e_lag_p99_ms", "capacity_steps", "webhooks_sent", "webhooks_accepted",
    "webhooks_failed", "saturation_offered_per_s", "saturation_accepted_per_s",
    "saturation_webhook_p50_ms", "saturation_webhook_p99_ms", "e2e_orders_per_s",
    "e2e_lag_p50_ms", "e2e_lag_p99_ms", "saturation_cpu_ms_per_order",
    "saturation_cpu_ms_per_order_total", "service_rss_mib", "max_service_rss_mib",
    "stack_rss_mib", "fold_events_per_s", "fold_2_replicas_events_per_s", "replay_events_per_s",
    "fold_events",
}  # fmt: skip
ISSUE_11_KEYS = {
    "replay_verify_events_per_s",
    "replay_rebuild_events_per_s",
    "cpu_ms_per_order_total",
    "peer_fold_ratio_eventsourcing",
    "peer_fold_ratio_naive",
}


def sample_results() -> dict[str, Any]:
    """A results dict as `bench.run.main` assembles it (values made up)."""
    values: dict[str, Any] = dict.fromkeys(RESULT_KEYS, 1)
    values |= {
        "saturation_cpu_ms_per_order": {"orders": 0.8, "postgres": 0.3, "load_generator": 0.2},
        "capacity_steps": [
            {"offered_per_s": 1000, "generator_kept_up": True, "p99_ms": 9.5},
            {"offered_per_s": 2000, "generator_kept_up": False, "p99_ms": 80.1},
        ],
        "fold_events_per_s": 3000,
        "fold_cpu_us_per_event": 180,
        "peer_eventsourcing_events_per_s": 1500,
        "peer_naive_events_per_s": 4000,
        "replay_verify_events_per_s": None,
    }
    return values | peer_ratios(values)


def test_the_results_keep_their_keys_and_add_those_of_issue_11() -> None:
    assert set(RESULT_KEYS) >= PRE_ISSUE_11_KEYS | ISSUE_11_KEYS
    assert len(RESULT_KEYS) == len(set(RESULT_KEYS))


def test_every_result_key_is_documented_at_the_top_of_bench_run() -> None:
    documented = set(re.findall(r"`([a-z0-9_]+)`", run.__doc__ or ""))
    assert [key for key in RESULT_KEYS if key not in documented] == []


def test_completed_results_have_every_key_in_order_with_null_for_stages_that_gave_none() -> None:
    completed = complete({"fold_events_per_s": 2970, "extra": 1})
    assert missing_keys(completed) == []
    assert list(completed)[: len(RESULT_KEYS)] == list(RESULT_KEYS)
    assert completed["fold_events_per_s"] == 2970
    assert completed["peer_fold_ratio_naive"] is None
    assert completed["extra"] == 1
    json.dumps(completed, allow_nan=False)  # null, not NaN: the file stays valid JSON


def test_the_peer_ratios_are_our_fold_rate_over_each_peers() -> None:
    ratios = peer_ratios(
        {
            "fold_events_per_s": 2970,
            "peer_eventsourcing_events_per_s": 2843,
            "peer_naive_events_per_s": 3988,
        }
    )
    assert ratios == {"peer_fold_ratio_eventsourcing": 1.04, "peer_fold_ratio_naive": 0.74}


@pytest.mark.parametrize(("ours", "peer"), [(None, 100.0), (100.0, None), (100.0, 0.0)])
def test_a_ratio_with_an_unknown_side_is_unknown(ours: float | None, peer: float | None) -> None:
    assert fold_ratio(ours, peer) is None


def test_the_systems_cpu_per_order_leaves_the_load_generator_out() -> None:
    by_component = {"orders": 0.8, "ledger": 0.3, "postgres": 0.25, "load_generator": 0.17}
    assert system_cpu_ms_per_order(by_component) == 1.35


def test_the_table_shows_every_scalar_result_and_n_a_where_one_is_missing() -> None:
    results = sample_results()
    printed = table(results)
    for key, value in results.items():
        if not isinstance(value, list | dict):
            assert re.search(rf"^{key}\s", printed, re.MULTILINE), key
    assert re.search(r"^replay_verify_events_per_s\s+n/a$", printed, re.MULTILINE)
    assert "orders 0.8, postgres 0.3, load_generator 0.2" in printed


def test_the_table_puts_the_peers_side_by_side_with_our_fold() -> None:
    printed = table(sample_results())
    rows = {line.split("  ")[1].strip(): line.split() for line in printed.splitlines()[-3:]}
    assert rows["ledger fold (ours)"][-3:] == ["3000", "180", "-"]
    assert rows["eventsourcing (peer)"][-3] == "1500"
    assert rows["eventsourcing (peer)"][-1] == "2.0"
    assert rows["naive (peer)"][-1] == "0.75"


def test_the_table_flags_steps_where_the_load_generator_fell_behind() -> None:
    printed = table(sample_results())
    assert "load generator behind (achieved < offered) at: 2000/s" in printed
    assert "1000/s" not in printed.split("load generator behind")[1]


def test_the_achieved_offered_rate_comes_from_the_dispatch_stamps() -> None:
    load = LoadResult(rate_per_s=2000, sent_at={f"o-{n}": 100.0 + n / 1000 for n in range(101)})
    achieved = achieved_offered_per_s(load)
    assert achieved == pytest.approx(1000)
    assert kept_up(2000, achieved) is False
    assert kept_up(1000, achieved) is True
    assert achieved_offered_per_s(LoadResult(rate_per_s=10, sent_at={"o": 1.0})) is None


def test_a_capacity_step_reports_what_the_generator_achieved() -> None:
    load = LoadResult(
        rate_per_s=100,
        sent=3,
        accepted=3,
        latencies_ms=[1.0, 2.0, 30.0],
        sent_at={"a": 0.0, "b": 0.01, "c": 0.02},
        elapsed_s=0.03,
    )
    step = stack_load.capacity_step(100, load, [5.0])
    assert step["achieved_offered_per_s"] == 100.0
    assert step["generator_kept_up"] is True
    assert step["p99_ms"] == 30.0
    assert not stack_load.meets_objective(load)


def test_quick_mode_still_offers_the_top_rate() -> None:
    plan = run.quick_plan(2000, 0)
    assert plan.quick
    assert plan.steps()[-1] == 2000
    assert run.Plan(1000, 10, 10, 0, 20_000).steps()[-1] == 1000
    assert max(run.STEP_RATES) >= 2000
