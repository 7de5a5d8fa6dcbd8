"""What the processes of the stack use, read from /proc: peak memory and CPU time per component."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int, field: str = "VmHWM") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def kafka_pid() -> int | None:
    state = Path(os.environ.get("SETTLEMENT_STATE_DIR", ROOT / ".local"))
    broker_pid = state / "kafka" / "broker.pid"
    return int(broker_pid.read_text()) if broker_pid.exists() else None


def postgres_pids() -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(proc.name))
            except OSError:
                continue
    return pids


def infrastructure_rss_mib() -> float:
    """Kafka's peak RSS plus the current RSS of every PostgreSQL process."""
    broker = kafka_pid()
    total = peak_rss_mib(broker) if broker is not None else 0.0
    for pid in postgres_pids():
        try:
            total += peak_rss_mib(pid, "VmRSS")
        except OSError:
            continue
    return total


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(child) for child in found]


def _cpu_seconds(pids: Iterable[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # ended meanwhile (a PostgreSQL backend of a closed connection)
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / _TICKS_PER_S


def cpu_seconds_by_component(services: Mapping[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each service (with its worker processes), Kafka, all of
    PostgreSQL and this process (the load generator)."""
    usage = {name: _cpu_seconds([pid, *_children(pid)]) for name, pid in services.items()}
    broker = kafka_pid()
    usage["kafka"] = _cpu_seconds([broker] if broker is not None else [])
    usage["postgres"] = _cpu_seconds(postgres_pids())
    usage["load_generator"] = _cpu_seconds([os.getpid()])
    return usage
