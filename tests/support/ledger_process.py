"""The ledger's fold consumer as a real subprocess (``python -m services.ledger ...``)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def ledger_env(database_url: str, topics: dict[str, str]) -> dict[str, str]:
    return {
        **os.environ,
        "LEDGER_DATABASE_URL": database_url,
        "TOPIC_ORDERS": topics["orders"],
        "TOPIC_PAYOUTS": topics["payouts"],
        "TOPIC_LEDGER": topics["ledger"],
        "LOG_LEVEL": "WARNING",
    }


async def start_fold(env: dict[str, str]) -> asyncio.subprocess.Process:
    """A fold process in a consumer group of its own: a process killed with SIGKILL stays a
    group member until its session times out, and positions live in the database anyway."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.ledger",
        "fold",
        cwd=ROOT,
        env={**env, "LEDGER_CONSUMER_GROUP": f"ledger-test-{uuid.uuid4().hex[:8]}"},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def run_command(env: dict[str, str], *args: str, timeout_s: float = 120) -> Any:
    """Run a ledger command to completion; returns its last stdout line parsed as JSON."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.ledger",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout_s)
    if process.returncode != 0:
        raise AssertionError(f"{args} failed ({process.returncode}): {stderr.decode()[-2000:]}")
    lines = stdout.decode().strip().splitlines()
    if args[:2] == ("dlq", "list"):
        return [json.loads(line) for line in lines]
    return json.loads(lines[-1])


async def stop(process: asyncio.subprocess.Process, timeout_s: float = 20) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout_s)
        except TimeoutError:
            process.kill()
            await process.wait()
