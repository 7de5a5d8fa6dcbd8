"""The ledger's replay CLI in each mode, on the fold bench's stream (not a test).

    .venv/bin/python -m bench.replay_modes --orders 20000

Fills a fresh orders topic with the fold bench's stream (`bench.ledger_fold.fill`), then runs
``python -m services.ledger replay --mode verify`` and ``--mode rebuild`` as subprocesses, each
against a fresh migrated database, and reads the JSON line each prints. What it expects of the
CLI (the contract this bench is written against):

- exit 0 and, as the last line of stdout, a JSON object with ``records_per_second`` (or
  ``events_per_second``): the rate it measured itself, so process start-up is not counted;
- it may name its mode (``"mode": "verify"``); if it names another one, the rate is not taken;
- ``verify`` writes nothing: a verify run that leaves journal entries in the database ignored
  ``--mode`` (a CLI without modes replays into the database whatever the arguments say).

A mode the CLI does not offer (non-zero exit, e.g. argparse's usage error) or ignores is reported
as ``None`` with the reason, never as a number measured in another mode.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.ledger_fold import fill
from services.ledger.adapters.db.digest import ledger_digest
from shared.kafka.topics import ensure_topics
from tests.support.infra import KAFKA_BOOTSTRAP, fresh_database, unique_name
from tests.support.ledger_db import migrate

ROOT = Path(__file__).resolve().parents[1]
MODES = ("verify", "rebuild")
REPLAY_TIMEOUT_S = 600


@dataclass(frozen=True)
class ModeOutcome:
    """The rate a replay mode reported, or why there is none."""

    events_per_s: float | None
    note: str = ""


def read_outcome(
    mode: str, returncode: int, stdout: str, stderr: str, entries_left: int
) -> ModeOutcome:
    """Judge one CLI run by the contract in this module's docstring."""
    if returncode != 0:
        last = (stderr.strip().splitlines() or ["no output"])[-1]
        return ModeOutcome(None, f"replay --mode {mode} exited {returncode}: {last[:160]}")
    lines = stdout.strip().splitlines()
    try:
        printed: Any = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        printed = None
    if not isinstance(printed, dict):
        return ModeOutcome(None, f"replay --mode {mode} printed no JSON object")
    if printed.get("mode", mode) != mode:
        return ModeOutcome(None, f"replay --mode {mode} ran mode {printed['mode']!r}")
    if mode == "verify" and entries_left:
        return ModeOutcome(None, "replay ignored --mode verify (it wrote journal entries)")
    rate = printed.get("events_per_second", printed.get("records_per_second"))
    if not isinstance(rate, int | float):
        return ModeOutcome(None, f"replay --mode {mode} printed no rate")
    return ModeOutcome(round(float(rate)))


def cli_env(database_url: str, topics: dict[str, str]) -> dict[str, str]:
    return {
        **os.environ,
        "LEDGER_DATABASE_URL": database_url,
        "TOPIC_ORDERS": topics["orders"],
        "TOPIC_PAYOUTS": topics["payouts"],
        "TOPIC_LEDGER": topics["ledger"],
        "LOG_LEVEL": "WARNING",
    }


async def run_mode(mode: str, topics: dict[str, str]) -> ModeOutcome:
    """One ``replay --mode`` subprocess into a fresh migrated database (dropped afterwards)."""
    async with fresh_database(f"ledger_replay_{mode}") as (url, engine):
        await migrate(url)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.ledger",
            "replay",
            "--mode",
            mode,
            cwd=ROOT,
            env=cli_env(url, topics),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(), REPLAY_TIMEOUT_S)
        except TimeoutError:
            process.kill()
            await process.wait()
            return ModeOutcome(None, f"replay --mode {mode} took over {REPLAY_TIMEOUT_S} s")
        _, entries = await ledger_digest(engine)
    return read_outcome(mode, process.returncode or 0, stdout.decode(), stderr.decode(), entries)


async def main(orders: int) -> dict[str, ModeOutcome]:
    """Each of `MODES` on a topic of `orders` orders of the fold bench's stream."""
    topics = {name: unique_name(f"bench_replay_{name}") for name in ("orders", "payouts", "ledger")}
    await ensure_topics(KAFKA_BOOTSTRAP, topics.values())
    await fill(topics["orders"], orders)  # the fold bench's filler: its stream, its seed
    return {mode: await run_mode(mode, topics) for mode in MODES}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    arguments = parser.parse_args()
    outcomes = asyncio.run(main(arguments.orders))
    print(json.dumps({mode: vars(outcome) for mode, outcome in outcomes.items()}))
