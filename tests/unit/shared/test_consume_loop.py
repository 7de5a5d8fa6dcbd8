"""The shared consume loop survives a broker failure and a database outage, losing no batch."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from prometheus_client import CollectorRegistry

from shared.db.outbox import OutgoingRecord
from shared.kafka.consumer import BatchConsumer, ConsumedRecord, PositionKey
from shared.kafka.consumer_metrics import ConsumerMetrics
from shared.kafka.worker import consume_forever

Step = list[ConsumedRecord] | Exception


def record(offset: int) -> ConsumedRecord:
    return ConsumedRecord("t", 0, offset, b"k", b"v", (), 1_000)


class ScriptedConsumer(BatchConsumer):
    """Hands out the scripted batches (or raises the scripted errors), then sets ``stop``."""

    def __init__(self, script: list[Step], stop: asyncio.Event) -> None:
        self._script = script
        self._stop = stop
        self.starts = 0
        self.stops = 0
        self.seeks: list[dict[PositionKey, int]] = []

    async def start(self, timeout_s: float = 30.0) -> None:
        self.starts += 1

    async def stop(self) -> None:
        self.stops += 1

    async def next_batch(self, timeout_ms: int = 200) -> list[ConsumedRecord]:
        if not self._script:
            self._stop.set()
            return []
        step = self._script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    async def commit(self, offsets: Mapping[PositionKey, int]) -> None:
        return None

    async def seek(self, offsets: Mapping[PositionKey, int]) -> None:
        self.seeks.append(dict(offsets))

    async def lag(self) -> dict[PositionKey, int]:
        return {("t", 0): 0}


class Handler:
    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.handled: list[int] = []

    async def handle(self, records: Sequence[ConsumedRecord]) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.handled += [r.offset for r in records]

    async def skip(self, record: ConsumedRecord) -> None:
        raise AssertionError("nothing here is poison")


async def stored() -> dict[PositionKey, int]:
    return {("t", 0): 1}


async def no_dead_letters(records: Sequence[OutgoingRecord]) -> None:
    raise AssertionError("nothing here is poison")


async def run(script: list[Step], handler: Handler) -> tuple[ScriptedConsumer, CollectorRegistry]:
    stop = asyncio.Event()
    consumer = ScriptedConsumer(script, stop)
    registry = CollectorRegistry()
    await asyncio.wait_for(
        consume_forever(
            stop,
            consumer=consumer,
            handler=handler,
            stored_positions=stored,
            send_dead_letters=no_dead_letters,
            name="test",
            metrics=ConsumerMetrics(registry),
        ),
        timeout=10,
    )
    return consumer, registry


async def test_a_broker_failure_between_batches_restarts_the_consumer() -> None:
    handler = Handler(failures=[])
    consumer, registry = await run(
        [[record(0)], ConnectionError("broker went away"), [record(1), record(2)]], handler
    )
    assert handler.handled == [0, 1, 2]
    assert consumer.starts == 2
    assert consumer.stops == 2
    assert registry.get_sample_value("kafka_consumer_records_total", {"topic": "t"}) == 3


async def test_a_batch_that_fails_on_an_outage_is_sought_back_and_applied_later() -> None:
    handler = Handler(failures=[ConnectionError("database down")])
    # The consumer re-delivers from the stored position after the seek.
    consumer, registry = await run([[record(1), record(2)], [record(1), record(2)]], handler)
    assert consumer.seeks == [{("t", 0): 1}]
    assert handler.handled == [1, 2]
    assert consumer.starts == 1
    assert (
        registry.get_sample_value("kafka_consumer_lag_records", {"topic": "t", "partition": "0"})
        == 0
    )
