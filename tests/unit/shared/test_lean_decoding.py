"""``TopicDecoder``: one pass from record to event, refusing exactly what the strict path does."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from shared.events import orders_v1
from shared.events.envelope import MalformedEventError, from_kafka
from shared.events.lean_decoding import TopicDecoder
from shared.kafka.consumer import ConsumedRecord
from tests.support.ledger_events import OrderStream, as_record

decode = TopicDecoder(
    orders_v1.TOPIC, orders_v1.EVENT_TYPES, orders_v1.SCHEMA_VERSION, orders_v1.parse_envelope
)
STREAM = OrderStream(seed=5).events(60)
RECORDS = [as_record("orders", sent, n) for n, sent in enumerate(STREAM)]
PLACED = RECORDS[0]


Headers = Sequence[tuple[str, bytes | None]]


def with_value(record: ConsumedRecord, value: bytes) -> tuple[bytes | None, bytes, Headers]:
    return record.key, value, record.headers


def strict(key: bytes | None, value: bytes | None, headers: Headers) -> orders_v1.OrdersEvent:
    return orders_v1.parse_envelope(from_kafka(key, value, headers))


def test_every_event_of_a_stream_decodes_to_what_the_strict_path_gives() -> None:
    for record, sent in zip(RECORDS, STREAM, strict=True):
        assert decode(record.key, record.value, record.headers) == (sent.event_id, sent.event)


def test_a_duplicate_key_is_refused_even_when_the_last_value_would_validate() -> None:
    assert PLACED.value is not None
    duplicated = PLACED.value.replace(b'{"order_id":', b'{"order_id":"x","order_id":', 1)

    with pytest.raises(MalformedEventError, match="duplicate key 'order_id'"):
        decode(*with_value(PLACED, duplicated))


def test_json_written_otherwise_than_compact_decodes_through_the_strict_path() -> None:
    assert PLACED.value is not None
    spaced = PLACED.value.replace(b'","', b'", "')
    args = with_value(PLACED, spaced)

    assert decode(*args)[1] == strict(*args) == STREAM[0].event


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (b'{"order_id": NaN}', MalformedEventError),
        (b"[1, 2]", MalformedEventError),
        (b"not json", MalformedEventError),
        (b'{"order_id":"o"}', ValueError),  # fields missing: a ValidationError
    ],
)
def test_poison_values_raise_value_errors(value: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        decode(*with_value(PLACED, value))


def test_a_record_keyed_otherwise_than_its_order_is_refused() -> None:
    with pytest.raises(MalformedEventError, match="does not match"):
        decode(b"another-order", PLACED.value, PLACED.headers)


def test_an_unknown_type_or_a_missing_header_is_refused() -> None:
    typed = tuple(
        (name, b"order.exploded" if name == "ce_type" else value) for name, value in PLACED.headers
    )
    with pytest.raises(ValueError, match=r"no event type 'order\.exploded'"):
        decode(PLACED.key, PLACED.value, typed)
    untimed = tuple((name, value) for name, value in PLACED.headers if name != "ce_time")
    with pytest.raises(MalformedEventError, match="missing header ce_time"):
        decode(PLACED.key, PLACED.value, untimed)
