"""CloudEvents in Kafka binary mode on the real broker: through the outbox, read back by our
consumer and by Kafka's own Java console consumer (an independent client)."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import MetaData

from shared.db.outbox import add_to_outbox, define_outbox_table
from shared.db.outbox_relay import OutboxRelay
from shared.events import orders_v1
from shared.events.envelope import from_kafka, to_kafka
from shared.events.terms import OrderTerms
from shared.kafka.consumer import BatchConsumer
from shared.kafka.producer import KafkaSender
from shared.kafka.topics import ensure_topics
from shared.regions import region_terms
from tests.support.infra import KAFKA_BOOTSTRAP, fresh_database, unique_name

ROOT = Path(__file__).resolve().parents[2]
PLACED_AT = datetime(2026, 11, 11, 0, 0, 5, tzinfo=UTC)


def placed_event(order_id: str) -> orders_v1.OrderPlaced:
    return orders_v1.OrderPlaced.model_validate(
        {
            "order_id": order_id,
            "shop_id": "shop-uk-1",
            "region": "UK",
            "currency": "GBP",
            "occurred_at": PLACED_AT,
            "lines": [
                {
                    "line_no": 1,
                    "sku": "A",
                    "quantity": 2,
                    "unit_price": 1500,
                    "discount": 0,
                    "rate_bps": 2000,
                    "plan_id": "plan-t",
                    "plan_type": "targeted",
                },
            ],
            "shipping_fee": 399,
            "creator_id": "creator-x",
            "agency": {"agency_id": "mcn-7", "share_bps": 2000},
            "terms": OrderTerms.from_region(region_terms("UK")),
        }
    )


async def publish_through_outbox(topic: str, events: list[orders_v1.OrderPlaced]) -> None:
    metadata = MetaData()
    outbox = define_outbox_table(metadata)
    async with fresh_database("cloudevents") as (_, engine):
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        async with engine.begin() as conn:
            records = [
                to_kafka(orders_v1.to_envelope(e, event_id=f"evt-{e.order_id}", time=PLACED_AT))
                for e in events
            ]
            await add_to_outbox(conn, outbox, topic, records)
        sender = KafkaSender(KAFKA_BOOTSTRAP, client_id="cloudevents-test")
        await sender.start()
        try:
            assert await OutboxRelay(engine, outbox, sender.send_batch).publish_once() == len(
                events
            )
        finally:
            await sender.stop()


async def test_a_cloudevent_survives_the_outbox_and_the_broker_with_headers_and_key() -> None:
    topic = unique_name("ce_roundtrip")
    await ensure_topics(KAFKA_BOOTSTRAP, [topic])
    sent = [placed_event("order-ce-1"), placed_event("order-ce-2")]
    await publish_through_outbox(topic, sent)

    consumer = BatchConsumer(KAFKA_BOOTSTRAP, unique_name("group"), [topic], client_id="t")
    await consumer.start()
    try:
        received = []
        for _ in range(100):  # bounded: at most ~20 s
            received += await consumer.next_batch(timeout_ms=200)
            if len(received) >= len(sent):
                break
    finally:
        await consumer.stop()

    assert len(received) == len(sent)
    by_key = {record.key: record for record in received}
    for event in sent:
        record = by_key[event.order_id.encode()]
        headers = dict(record.headers)
        assert headers["ce_specversion"] == b"1.0"
        assert headers["ce_type"] == b"order.placed"
        assert headers["ce_id"] == f"evt-{event.order_id}".encode()
        assert headers["ce_source"] == b"/settlement/orders"
        assert headers["content-type"] == b"application/json"
        envelope = from_kafka(record.key, record.value, record.headers)
        assert orders_v1.parse_envelope(envelope) == event
        assert envelope.time == PLACED_AT


async def test_kafkas_own_console_consumer_sees_what_the_relay_published() -> None:
    topic = unique_name("ce_independent")
    await ensure_topics(KAFKA_BOOTSTRAP, [topic])
    await publish_through_outbox(topic, [placed_event("order-ce-3")])

    result = await asyncio.to_thread(
        subprocess.run,
        [str(ROOT / "deploy/local/kafka.sh"), "consume", topic, "1"],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    )
    (line,) = result.stdout.splitlines()
    headers, key, value = line.split("\t")
    assert key == "order-ce-3"
    assert "ce_type:order.placed" in headers.split(",")
    assert "ce_id:evt-order-ce-3" in headers.split(",")
    assert '"order_id":"order-ce-3"' in value
