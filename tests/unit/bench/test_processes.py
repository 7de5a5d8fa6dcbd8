"""Which processes the bench charges to PostgreSQL, and CPU time of processes that ended."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import processes


def test_postgres_is_the_cluster_of_this_state_directory_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "postgres" / "data"
    data.mkdir(parents=True)
    # This process stands in for the postmaster: the pid file's first line names it.
    (data / "postmaster.pid").write_text(f"{os.getpid()}\n{data}\n1795632097\n")
    monkeypatch.setenv("SETTLEMENT_STATE_DIR", str(tmp_path))
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert processes.postmaster_pid() == os.getpid()
        assert processes.postgres_pids()[0] == os.getpid()
        assert child.pid in processes.postgres_pids()
    finally:
        child.kill()
        child.wait()


def test_without_a_readable_pid_file_there_is_no_postmaster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SETTLEMENT_STATE_DIR", str(tmp_path))
    assert processes.postmaster_pid() is None
    (tmp_path / "postgres" / "data").mkdir(parents=True)
    (tmp_path / "postgres" / "data" / "postmaster.pid").write_text("not a pid\n")
    assert processes.postmaster_pid() is None


def test_cpu_of_children_that_ended_is_counted_when_asked() -> None:
    me = [os.getpid()]
    before = processes._cpu_seconds(me, reaped_children=True) - processes._cpu_seconds(me)
    subprocess.run([sys.executable, "-c", "sum(range(30_000_000))"], check=True)
    after = processes._cpu_seconds(me, reaped_children=True) - processes._cpu_seconds(me)
    assert after > before
