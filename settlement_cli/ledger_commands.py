"""The ledger's module commands (``python -m services.ledger replay|digest|dlq ...``) run as
subprocesses of this project's interpreter, plus the scratch database a replay folds into."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import asyncpg

from settlement_cli.config import PROJECT_ROOT


class LedgerCommandError(RuntimeError):
    """A ledger module command exited with an error."""


def run_ledger(
    *args: str, env: Mapping[str, str] | None = None, timeout_s: float = 600
) -> list[Any]:
    """Run ``python -m services.ledger ARGS`` to completion; returns its stdout's JSON lines."""
    process = subprocess.run(  # noqa: S603 (our own interpreter and module, no shell)
        [sys.executable, "-m", "services.ledger", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if process.returncode != 0:
        raise LedgerCommandError(
            f"ledger {' '.join(args)} failed ({process.returncode}): {process.stderr[-2000:]}"
        )
    return [json.loads(line) for line in process.stdout.splitlines() if line.startswith("{")]


def _pg(env: Mapping[str, str]) -> dict[str, Any]:
    return {
        "host": env.get("PG_HOST", "127.0.0.1"),
        "port": int(env.get("PG_PORT", "5432")),
        "user": env.get("PG_USER", "settlement"),
        "password": env.get("PG_PASSWORD", "settlement"),
    }


def database_url(name: str, env: Mapping[str, str] | None = None) -> str:
    pg = _pg(os.environ if env is None else env)
    return f"postgresql+asyncpg://{pg['user']}:{pg['password']}@{pg['host']}:{pg['port']}/{name}"


async def _admin(statement: str) -> None:
    conn = await asyncpg.connect(database="postgres", **_pg(os.environ))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def create_database(name: str) -> None:
    """Create an empty database ``name`` (letters, digits and ``_`` only)."""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"database name must be letters, digits and _: {name!r}")
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))


def drop_database(name: str) -> None:
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def replay_and_compare(scratch: str, keep: bool) -> dict[str, Any]:
    """Fold the orders and payouts topics from the beginning into a new database ``scratch``
    (migrated first), then compare its digest with the live ledger's. Equal digests mean the
    live journal is exactly what its input events produce (while no new event arrives)."""
    create_database(scratch)
    try:
        scratch_env = {"LEDGER_DATABASE_URL": database_url(scratch)}
        run_ledger("migrate", env=scratch_env)
        (replayed,) = run_ledger("replay", env=scratch_env)
        (live,) = run_ledger("digest")
    finally:
        if not keep:
            drop_database(scratch)
    return {
        "replay": replayed,
        "live": live,
        "matches": replayed["digest"] == live["digest"],
        "database": scratch if keep else None,
    }
