"""The results of `make bench`: which keys `bench/results.json` always has, derived figures (the
peer ratios, the system's CPU per order) and the table `bench/run.py` prints.

The keys are documented in `bench/run.py`'s docstring; `RESULT_KEYS` is the list a unit test holds
that docstring and every results dict to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

RESULT_KEYS = (
    # the run
    "command",
    "measured_at",
    "machine",
    "quick",
    "consumers_nice",
    "load_generator_check",
    # capacity steps
    "webhook_objective",
    "webhook_sustained_per_s",
    "webhook_p50_ms",
    "webhook_p99_ms",
    "sustained_e2e_lag_p50_ms",
    "sustained_e2e_lag_p99_ms",
    "capacity_first_missed_per_s",
    "capacity_steps",
    # saturation
    "webhooks_sent",
    "webhooks_accepted",
    "webhooks_failed",
    "saturation_offered_per_s",
    "saturation_achieved_offered_per_s",
    "saturation_generator_kept_up",
    "saturation_accepted_per_s",
    "saturation_webhook_p50_ms",
    "saturation_webhook_p99_ms",
    "e2e_orders_per_s",
    "e2e_lag_p50_ms",
    "e2e_lag_p99_ms",
    "saturation_cpu_ms_per_order",
    "saturation_cpu_ms_per_order_total",
    "cpu_ms_per_order_total",
    # memory
    "service_rss_mib",
    "max_service_rss_mib",
    "stack_rss_mib",
    # fold and replay
    "fold_events",
    "fold_events_per_s",
    "fold_cpu_us_per_event",
    "fold_2_replicas_events_per_s",
    "replay_events_per_s",
    "replay_verify_events_per_s",
    "replay_rebuild_events_per_s",
    "replay_verify_cpu_us_per_event",
    "replay_rebuild_cpu_us_per_event",
    # peers
    "peer_events",
    "peer_eventsourcing_events_per_s",
    "peer_eventsourcing_cpu_us_per_event",
    "peer_naive_events_per_s",
    "peer_naive_cpu_us_per_event",
    "peer_fold_ratio_eventsourcing",
    "peer_fold_ratio_naive",
)
LOAD_GENERATOR = "load_generator"
"""The component in the CPU breakdown that is the bench's own load generator, not the system."""
PEERS = ("eventsourcing", "naive")


def missing_keys(results: Mapping[str, Any]) -> list[str]:
    return [key for key in RESULT_KEYS if key not in results]


def complete(results: Mapping[str, Any]) -> dict[str, Any]:
    """`results` with every key of `RESULT_KEYS`, in that order (null where a stage gave none),
    then any others it has."""
    return {key: results.get(key) for key in RESULT_KEYS} | dict(results)


def fold_ratio(ours: float | None, peer: float | None) -> float | None:
    """Our fold's events/s over a peer's (None when either is unknown or the peer's is 0)."""
    if ours is None or not peer:
        return None
    return round(ours / peer, 2)


def peer_ratios(results: Mapping[str, Any]) -> dict[str, float | None]:
    ours = results.get("fold_events_per_s")
    return {
        f"peer_fold_ratio_{peer}": fold_ratio(ours, results.get(f"peer_{peer}_events_per_s"))
        for peer in PEERS
    }


def system_cpu_ms_per_order(by_component: Mapping[str, float]) -> float:
    """CPU per order of the system (services, Kafka, PostgreSQL): the load generator excluded."""
    return round(sum(v for name, v in by_component.items() if name != LOAD_GENERATOR), 2)


def _cell(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, dict):
        return ", ".join(f"{name} {_cell(v)}" for name, v in value.items())
    return str(value)


def peers_table(results: Mapping[str, Any]) -> list[str]:
    """Our fold and its peers side by side, on the same event stream."""
    ours = ("fold_events_per_s", "fold_cpu_us_per_event")
    rows = [("ledger fold (ours)", *(_cell(results.get(k)) for k in ours), "-")]
    rows += [
        (
            f"{peer} (peer)",
            _cell(results.get(f"peer_{peer}_events_per_s")),
            _cell(results.get(f"peer_{peer}_cpu_us_per_event")),
            _cell(results.get(f"peer_fold_ratio_{peer}")),
        )
        for peer in PEERS
    ]
    header = ("", "events/s", "client CPU us/event", "ours / peer")
    return [
        f"peers, same stream ({_cell(results.get('peer_events'))} events; "
        f"fold: {_cell(results.get('fold_events'))}):",
        *(f"  {a:<20}{b:>10}{c:>21}{d:>13}" for a, b, c, d in [header, *rows]),
    ]


def steps_table(steps: list[dict[str, Any]]) -> list[str]:
    if not steps:
        return []
    widths = {k: max(8, len(k)) for k in steps[0]}
    lines = ["capacity steps:", "  ".join(f"{k:>{w}}" for k, w in widths.items())]
    lines += ["  ".join(f"{_cell(step.get(k)):>{w}}" for k, w in widths.items()) for step in steps]
    behind = [s for s in steps if s.get("generator_kept_up") is False]
    if behind:
        lines.append(
            "load generator behind (achieved < offered) at: "
            + ", ".join(f"{s['offered_per_s']}/s" for s in behind)
        )
    return lines


def table(results: Mapping[str, Any]) -> str:
    """Every scalar and dict result one per line, then the capacity steps and the peers."""
    rows = [(k, _cell(v)) for k, v in results.items() if not isinstance(v, list)]
    width = max((len(k) for k, _ in rows), default=0)
    lines = [f"{k:<{width}}  {v}" for k, v in rows]
    if results.get("saturation_generator_kept_up") is False:
        lines.append(
            f"(saturation: the load generator offered only "
            f"{results.get('saturation_achieved_offered_per_s')} of "
            f"{results.get('saturation_offered_per_s')}/s)"
        )
    steps = results.get("capacity_steps") or []
    if steps:
        lines += ["", *steps_table(steps)]
    if any(f"peer_{peer}_events_per_s" in results for peer in PEERS):
        lines += ["", *peers_table(results)]
    return "\n".join(lines)
