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


def _state_dir() -> Path:
    return Path(os.environ.get("SETTLEMENT_STATE_DIR", ROOT / ".local"))


def kafka_pid() -> int | None:
    broker_pid = _state_dir() / "kafka" / "broker.pid"
    return int(broker_pid.read_text()) if broker_pid.exists() else None


def postmaster_pid() -> int | None:
    """The postmaster of the cluster deploy/local/postgres.sh runs for this state directory."""
    try:
        pid = int((_state_dir() / "postgres" / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if Path(f"/proc/{pid}").exists() else None


def postgres_pids() -> list[int]:
    """This bench's PostgreSQL: its postmaster and the backends it forked. Only when that
    cluster's pid file cannot be read, every PostgreSQL process on the machine (other clusters
    on a shared machine would then be counted too)."""
    postmaster = postmaster_pid()
    if postmaster is not None:
        return [postmaster, *_children(postmaster)]
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
    """Kafka's peak RSS plus the current RSS of every process of this bench's PostgreSQL."""
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


def _cpu_seconds(pids: Iterable[int], *, reaped_children: bool = False) -> float:
    """CPU seconds of `pids`; with `reaped_children`, plus that of their children that ended
    and were waited for (a PostgreSQL backend of a closed connection, reaped by the
    postmaster)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # ended meanwhile
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        if reaped_children:
            total += int(fields[13]) + int(fields[14])  # cutime + cstime
    return total / _TICKS_PER_S


def _postgres_cpu_seconds() -> float:
    postmaster = postmaster_pid()
    if postmaster is None:
        return _cpu_seconds(postgres_pids())
    return _cpu_seconds([postmaster], reaped_children=True) + _cpu_seconds(_children(postmaster))


def cpu_seconds_by_component(services: Mapping[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each service (with its worker processes), Kafka, this bench's
    PostgreSQL cluster (with the backends that already ended) and this process (the load
    generator)."""
    usage = {name: _cpu_seconds([pid, *_children(pid)]) for name, pid in services.items()}
    broker = kafka_pid()
    usage["kafka"] = _cpu_seconds([broker] if broker is not None else [])
    usage["postgres"] = _postgres_cpu_seconds()
    usage["load_generator"] = _cpu_seconds([os.getpid()])
    return usage
