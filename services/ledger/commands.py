"""Operator commands of the ledger besides ``migrate`` and ``serve``.

- ``fold``: run the fold consumer and the outbox relay without the HTTP API, until SIGTERM.
- ``replay [--mode rebuild|verify] [--workers N]``: read the orders and payouts topics from the
  beginning (up to their end when the replay starts).
  ``verify`` folds them in memory to a balance per account and compares those with the configured
  (live) database's, writing nothing; it prints the differences and exits 1 when any account
  differs (``replay_runner.py``, ``service/replay_verify.py``).
  ``rebuild`` (the default) folds them into the configured database (``LEDGER_DATABASE_URL``
  or ``LEDGER_DB``), which must be migrated and hold no journal yet, then prints the digest.
  Records of both topics are read into memory and folded in record-timestamp order (a release
  is published after its order was posted, so it sorts after the placement), in memory, then
  written with COPY in one transaction (``replay_rebuild.py``). Nothing is published: the
  outbox rows stay in the replayed database; records that fail are counted, not dead-lettered
  again. The stored positions end at the replayed ends, so a fold consumer can carry on.
- ``digest``: print the digest of the configured database.
- ``dlq list`` / ``dlq redrive``: show, or send back to their topic, the dead-lettered records.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time

from services.ledger.adapters.db.digest import ledger_digest
from services.ledger.adapters.kafka.dead_letter_tools import list_dead_letters, redrive
from services.ledger.adapters.kafka.decoding import RecordDecoder
from services.ledger.adapters.kafka.partition_reader import partition_ranges
from services.ledger.adapters.kafka.topic_reader import read_to_end
from services.ledger.app import build_ledger
from services.ledger.replay_progress import Progress
from services.ledger.replay_rebuild import replay_into
from services.ledger.replay_runner import verify_ledger
from services.ledger.service.replay_order import replay_order
from services.ledger.settings import LedgerSettings
from shared.db.engine import make_engine
from shared.kafka.consumer import ConsumedRecord
from shared.service.clock import utc_now

REPLAY_READ_BATCH = 10_000
"""Records per fetch while reading the topics for a replay."""


async def fold(settings: LedgerSettings) -> None:
    ledger = build_ledger(settings)
    runtime = ledger.runtime
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await runtime.sender.start()
    tasks = [asyncio.create_task(worker(stop)) for worker in runtime.workers]
    try:
        await stop.wait()
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 15)
        await runtime.sender.stop()
        await runtime.engine.dispose()


async def replay(settings: LedgerSettings, workers: int | None = None) -> dict[str, object]:
    """Replay in rebuild mode into the configured (fresh) database; returns the result line."""
    engine = make_engine(settings.database_url, application_name="ledger-replay")
    try:
        _, entries = await ledger_digest(engine)
        if entries:
            raise SystemExit("replay needs an empty ledger database; this one has entries")
        decoder = RecordDecoder(
            topic_orders=settings.topic_orders, topic_payouts=settings.topic_payouts
        )
        started = time.perf_counter()
        ranges = await partition_ranges(settings.kafka_bootstrap_servers, decoder.topics)
        progress = Progress("rebuild", sum(r.size for r in ranges), ("read", "folded", "loaded"))
        records: list[ConsumedRecord] = []
        async for batch in read_to_end(
            settings.kafka_bootstrap_servers, decoder.topics, batch_size=REPLAY_READ_BATCH
        ):
            records += batch
            progress("read", len(batch))
        records.sort(key=replay_order)
        outcome = await replay_into(
            engine,
            records,
            decoder,
            topic_ledger=settings.topic_ledger,
            clock=utc_now,
            workers=workers or settings.replay_workers,
            progress=progress,
        )
        progress.show()
        consumed = len(records)
        seconds = time.perf_counter() - started
        digest, entries = await ledger_digest(engine)
    finally:
        await engine.dispose()
    return {
        "mode": "rebuild",
        "digest": digest,
        "records": consumed,
        "events_folded": outcome.folded,
        "entries": entries,
        "dead_letters": len(outcome.failed),
        "seconds": round(seconds, 3),
        "records_per_second": round(consumed / seconds, 1) if seconds else None,
    }


async def digest(settings: LedgerSettings) -> dict[str, object]:
    engine = make_engine(settings.database_url, application_name="ledger-digest")
    try:
        value, entries = await ledger_digest(engine)
    finally:
        await engine.dispose()
    return {"digest": value, "entries": entries}


async def verify(settings: LedgerSettings, workers: int | None = None) -> dict[str, object]:
    """Replay in verify mode against the configured (live) database; see ``verify_ledger``."""
    return await verify_ledger(
        settings.database_url,
        settings.kafka_bootstrap_servers,
        settings.topic_orders,
        settings.topic_payouts,
        workers=workers or settings.replay_workers,
    )


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def replay_command(args: list[str], settings: LedgerSettings) -> None:
    """``replay [--mode rebuild|verify] [--workers N]``: prints the result line; a verify that
    finds differences also prints them to stderr and exits 1."""
    parser = argparse.ArgumentParser(prog="python -m services.ledger replay")
    parser.add_argument("--mode", choices=("rebuild", "verify"), default="rebuild")
    parser.add_argument(
        "--workers", type=_positive, default=None, help="default LEDGER_REPLAY_WORKERS"
    )
    options = parser.parse_args(args)
    if options.mode == "rebuild":
        print(json.dumps(asyncio.run(replay(settings, options.workers))))
        return
    result = asyncio.run(verify(settings, options.workers))
    print(json.dumps(result))
    if not result["matches"]:
        for difference in result["differences"]:  # type: ignore[attr-defined]
            print(
                f"replay verify: {difference['account']}: replayed {difference['replayed']}, "
                f"live {difference['live']}",
                file=sys.stderr,
            )
        raise SystemExit(1)


def run(command: str, args: list[str], settings: LedgerSettings) -> None:
    """Run one of this module's commands; results are printed as one JSON line."""
    topics = [settings.topic_orders, settings.topic_payouts]
    bootstrap = settings.kafka_bootstrap_servers
    if command == "fold":
        asyncio.run(fold(settings))
    elif command == "replay":
        replay_command(args, settings)
    elif command == "digest":
        print(json.dumps(asyncio.run(digest(settings))))
    elif command == "dlq" and args[:1] == ["list"]:
        for item in asyncio.run(list_dead_letters(bootstrap, args[1:] or topics)):
            print(json.dumps(item))
    elif command == "dlq" and args[:1] == ["redrive"]:
        print(json.dumps(asyncio.run(redrive(bootstrap, args[1:] or topics))))
    else:
        raise SystemExit(
            "usage: python -m services.ledger "
            "migrate|serve|fold|replay [--mode rebuild|verify]|digest"
            "|dlq list [TOPIC...]|dlq redrive [TOPIC...]"
        )
