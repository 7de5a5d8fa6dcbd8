"""A private PostgreSQL cluster and Kafka broker for the fault matrix.

The scenarios stop and start both engines, so they must never be the ones the rest of the test
suite uses: ``deploy/local/postgres.sh`` and ``kafka.sh`` run here with their own state
directory and free loopback ports, and ``stop()`` removes everything on every exit path.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "local"
START_TIMEOUT_S = 150
STOP_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PrivateInfra:
    """Own PostgreSQL and Kafka under a temporary state directory (nothing shared)."""

    state_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="chaos-")))
    pg_port: int = field(default_factory=free_port)
    kafka_port: int = field(default_factory=free_port)
    controller_port: int = field(default_factory=free_port)

    @property
    def env(self) -> dict[str, str]:
        """What the deploy scripts, the services and the harness's own reads need."""
        return {
            "SETTLEMENT_STATE_DIR": str(self.state_dir),
            "PG_PORT": str(self.pg_port),
            "KAFKA_PORT": str(self.kafka_port),
            "KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "KAFKA_BOOTSTRAP": self.bootstrap,
        }

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    def database_dsn(self, database: str) -> str:
        return f"postgresql://settlement:settlement@127.0.0.1:{self.pg_port}/{database}"

    def _script(self, name: str, *args: str, timeout_s: float = START_TIMEOUT_S) -> None:
        env = {**os.environ, **self.env}
        done = subprocess.run(  # noqa: S603 - our own deploy scripts
            [str(DEPLOY / f"{name}.sh"), *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{name}.sh {' '.join(args)} failed:\n{done.stderr[-3000:]}")

    def start(self) -> None:
        # The postgres user must reach the state directory (postgres.sh opens its parents).
        self.state_dir.chmod(0o755)
        self.postgres_start()
        self.kafka_start()

    def postgres_start(self) -> None:
        self._script("postgres", "start")

    def kafka_start(self) -> None:
        self._script("kafka", "start")

    def kafka_stop(self) -> None:
        self._script("kafka", "stop", timeout_s=STOP_TIMEOUT_S)

    def postgres_stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop -m fast|immediate`` (immediate: no checkpoint, crash recovery on start)."""
        pg_bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
        command = [str(pg_bin / "pg_ctl"), "-D", str(self.pg_data), "-m", mode, "-w", "stop"]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(  # noqa: S603 - PostgreSQL's own control tool
            command, capture_output=True, timeout=STOP_TIMEOUT_S, check=True
        )

    @property
    def pg_data(self) -> Path:
        return self.state_dir / "postgres" / "data"

    def kafka_pid(self) -> int | None:
        pid_file = self.state_dir / "kafka" / "broker.pid"
        return int(pid_file.read_text()) if pid_file.exists() else None

    def stop(self) -> None:
        """Stop both engines (each whatever the other did) and remove the state directory."""
        for step in (self.kafka_stop, lambda: self.postgres_stop("fast")):
            try:
                step()
            except (RuntimeError, subprocess.SubprocessError, OSError):
                self._force_stop()
        time.sleep(0.2)
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def _force_stop(self) -> None:
        """Last resort: SIGKILL the broker and the postmaster by their recorded pids."""
        candidates = [self.kafka_pid()]
        postmaster = self.pg_data / "postmaster.pid"
        if postmaster.exists():
            candidates.append(int(postmaster.read_text().split()[0]))
        for pid in candidates:
            if pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, 9)
