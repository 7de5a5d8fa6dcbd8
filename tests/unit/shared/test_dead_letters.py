from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy.exc import OperationalError

from shared.db.outbox import OutgoingRecord
from shared.kafka.consumer import ConsumedRecord
from shared.kafka.dead_letters import process_with_dead_letters


def record(offset: int) -> ConsumedRecord:
    return ConsumedRecord("orders.v1", 0, offset, b"k", b"v", (), 0)


class DatabaseDown:
    skipped: list[ConsumedRecord]

    def __init__(self) -> None:
        self.skipped = []

    async def handle(self, records: Sequence[ConsumedRecord]) -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    async def skip(self, record: ConsumedRecord) -> None:
        self.skipped.append(record)


async def test_an_outage_is_raised_for_retry_and_never_dead_lettered() -> None:
    sent: list[OutgoingRecord] = []

    async def send(records: Sequence[OutgoingRecord]) -> None:
        sent.extend(records)

    handler = DatabaseDown()
    with pytest.raises(OperationalError):
        await process_with_dead_letters(handler, [record(0), record(1)], send, backoff_s=0)
    assert sent == []
    assert handler.skipped == []
