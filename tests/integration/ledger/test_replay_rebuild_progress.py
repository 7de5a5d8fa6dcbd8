"""A rebuild reports its progress: every record folded, then loaded (or skipped), once."""

from __future__ import annotations

import io

import pytest

from services.ledger import replay_rebuild
from services.ledger.adapters.kafka.decoding import RecordDecoder
from services.ledger.replay_progress import Progress
from services.ledger.replay_rebuild import replay_into
from shared.service.clock import utc_now
from tests.support.infra import fresh_database
from tests.support.ledger_db import migrate
from tests.support.replay_streams import ORDERS_TOPIC, PAYOUTS_TOPIC, troubled_stream


@pytest.mark.parametrize("workers", [1, 2])
async def test_a_rebuild_counts_every_record_folded_and_loaded(
    workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replay_rebuild, "MIN_RECORDS_PER_WORKER", 1)
    monkeypatch.setattr(replay_rebuild, "CHUNK_EVENTS", 100)  # several loads
    records, failing = troubled_stream(11, orders=120)
    counted: list[tuple[str, int]] = []
    out = io.StringIO()
    progress = Progress("rebuild", len(records), ("folded", "loaded"), out)

    def record(phase: str, n: int) -> None:
        counted.append((phase, n))
        progress(phase, n)

    decoder = RecordDecoder(topic_orders=ORDERS_TOPIC, topic_payouts=PAYOUTS_TOPIC)
    async with fresh_database("ledger_progress") as (url, engine):
        await migrate(url)
        outcome = await replay_into(
            engine,
            records,
            decoder,
            topic_ledger="ledger.v1",
            clock=utc_now,
            workers=workers,
            progress=record,
        )
    progress.show()

    assert len(outcome.failed) > failing
    for phase in ("folded", "loaded"):
        steps = [n for p, n in counted if p == phase]
        assert sum(steps) == len(records), phase
        assert all(n >= 0 for n in steps)
    assert len([p for p, _ in counted if p == "loaded"]) > 3
    total = len(records)
    last_line = out.getvalue().splitlines()[-1]
    assert last_line.startswith(f"replay rebuild: folded {total}/{total}, loaded {total}/{total} (")
