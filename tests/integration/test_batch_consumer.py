"""The batch consumer on the real broker: stored positions and dead letters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shared.db.outbox import OutgoingRecord
from shared.kafka.consumer import BatchConsumer, ConsumedRecord, PositionKey, next_offsets
from shared.kafka.dead_letters import process_with_dead_letters
from shared.kafka.producer import KafkaSender
from shared.kafka.topics import dlq_topic, ensure_topics
from tests.support.infra import KAFKA_BOOTSTRAP, unique_name
from tests.support.kafka import read_topic


async def produce(topic: str, values: Sequence[bytes]) -> None:
    sender = KafkaSender(KAFKA_BOOTSTRAP, client_id="batch-consumer-test")
    await sender.start()
    try:
        # One key keeps every record on one partition, so offsets follow the list.
        await sender.send_batch([OutgoingRecord(topic, b"k", v, [("ce_id", v)]) for v in values])
    finally:
        await sender.stop()


async def consume_until(consumer: BatchConsumer, count: int) -> list[ConsumedRecord]:
    received: list[ConsumedRecord] = []
    for _ in range(100):  # bounded: at most ~20 s
        received += await consumer.next_batch(timeout_ms=200)
        if len(received) >= count:
            break
    return received


class RecordingHandler:
    """Applies records into memory and keeps positions as a database-backed handler would."""

    def __init__(self, poison: bytes) -> None:
        self.poison = poison
        self.applied: list[bytes] = []
        self.positions: dict[PositionKey, int] = {}
        self.attempts_on_poison = 0

    async def handle(self, records: Sequence[ConsumedRecord]) -> None:
        if any(r.value == self.poison for r in records):
            self.attempts_on_poison += 1
            raise ValueError("amount is not an integer")
        self.applied += [r.value or b"" for r in records]
        self.positions.update(next_offsets(records))

    async def skip(self, record: ConsumedRecord) -> None:
        self.positions.update(next_offsets([record]))


async def test_a_consumer_resumes_from_the_positions_it_stored_not_from_the_start() -> None:
    topic = unique_name("positions")
    await ensure_topics(KAFKA_BOOTSTRAP, [topic], partitions=1)
    await produce(topic, [f"v{n}".encode() for n in range(10)])

    async def stored() -> Mapping[PositionKey, int]:
        return {(topic, 0): 7}

    consumer = BatchConsumer(
        KAFKA_BOOTSTRAP, unique_name("group"), [topic], client_id="t", load_positions=stored
    )
    await consumer.start()
    try:
        received = await consume_until(consumer, 3)
    finally:
        await consumer.stop()
    assert [r.value for r in received] == [b"v7", b"v8", b"v9"]


async def test_a_poison_record_goes_to_the_dead_letter_topic_and_the_partition_carries_on() -> None:
    topic = unique_name("poison")
    await ensure_topics(KAFKA_BOOTSTRAP, [topic], partitions=1)
    await produce(topic, [b"ok-1", b"bad", b"ok-2"])
    consumer = BatchConsumer(KAFKA_BOOTSTRAP, unique_name("group"), [topic], client_id="t")
    handler = RecordingHandler(poison=b"bad")
    sender = KafkaSender(KAFKA_BOOTSTRAP, client_id="dlq-test")
    await consumer.start()
    await sender.start()
    try:
        batch = await consume_until(consumer, 3)
        await process_with_dead_letters(handler, batch, sender.send_batch, backoff_s=0.01)
    finally:
        await sender.stop()
        await consumer.stop()

    assert handler.applied == [b"ok-1", b"ok-2"]
    assert handler.positions == {(topic, 0): 3}
    assert handler.attempts_on_poison == 1 + 3  # the whole batch once, then three tries alone
    (dead,) = await read_topic(dlq_topic(topic), expected=1)
    headers = dict(dead.headers)
    assert dead.value == b"bad"
    assert headers["dlq_error"] == b"ValueError: amount is not an integer"
    assert headers["dlq_original_topic"] == topic.encode()
    assert headers["dlq_original_offset"] == b"1"
    assert headers["ce_id"] == b"bad"
