import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from shared.events import rfc3339
from shared.events.envelope import (
    Envelope,
    KafkaRecord,
    MalformedEventError,
    from_kafka,
    new_envelope,
    to_kafka,
)

PLACED_AT = datetime(2024, 5, 1, 12, 30, 15, 250_000, tzinfo=UTC)

texts = st.text(min_size=1, max_size=40)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
instants = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(9998, 12, 31), timezones=offsets
)


def an_envelope(**changes: Any) -> Envelope:
    fields: dict[str, Any] = {
        "type": "order.placed",
        "source": "/settlement/orders",
        "key": "order-1",
        "data": {"order_id": "order-1", "amount": 4299, "note": "达人 ✓"},
        "event_id": "6f1c1e8e-3a5e-4c7e-9a39-0f5d1c0b8f11",
        "time": PLACED_AT,
    }
    fields.update(changes)
    return new_envelope(**fields)


def a_record(**changes: Any) -> KafkaRecord:
    return to_kafka(an_envelope(**changes))


def without_header(record: KafkaRecord, name: str) -> list[tuple[str, bytes]]:
    return [(header, value) for header, value in record.headers if header != name]


def replacing_header(record: KafkaRecord, name: str, value: bytes) -> list[tuple[str, bytes]]:
    return [(header, value if header == name else old) for header, old in record.headers]


def malformed_reason(
    key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes | None]]
) -> str:
    with pytest.raises(MalformedEventError) as caught:
        from_kafka(key, value, headers)
    return caught.value.reason


@given(
    event_id=st.uuids().map(str) | texts,
    key=texts,
    source=texts,
    type_name=texts,
    subject=st.none() | texts,
    time=instants,
    schemaversion=st.integers(min_value=1, max_value=10**6),
    data=st.dictionaries(st.text(max_size=10), json_values, max_size=6),
)
def test_an_envelope_read_back_from_its_kafka_record_equals_the_one_written(
    event_id: str,
    key: str,
    source: str,
    type_name: str,
    subject: str | None,
    time: datetime,
    schemaversion: int,
    data: dict[str, Any],
) -> None:
    envelope = new_envelope(
        type_name,
        source,
        key,
        data,
        event_id=event_id,
        time=time,
        subject=subject,
        schemaversion=schemaversion,
    )
    record = to_kafka(envelope)

    assert from_kafka(record.key, record.value, record.headers) == envelope
    assert envelope.time == time


def test_a_record_carries_the_cloudevents_headers_and_compact_utf8_json() -> None:
    record = a_record(subject="shop-9")

    assert record.key == b"order-1"
    assert record.value == '{"order_id":"order-1","amount":4299,"note":"达人 ✓"}'.encode()
    assert record.headers == [
        ("ce_specversion", b"1.0"),
        ("ce_id", b"6f1c1e8e-3a5e-4c7e-9a39-0f5d1c0b8f11"),
        ("ce_source", b"/settlement/orders"),
        ("ce_type", b"order.placed"),
        ("ce_time", b"2024-05-01T12:30:15.250000Z"),
        ("ce_subject", b"shop-9"),
        ("ce_schemaversion", b"1"),
        ("content-type", b"application/json"),
    ]


def test_the_subject_header_is_left_out_when_there_is_no_subject() -> None:
    assert "ce_subject" not in dict(a_record().headers)


def test_a_time_with_an_offset_is_written_as_the_same_instant_in_utc() -> None:
    shanghai_midnight = datetime(2024, 6, 1, tzinfo=timezone(timedelta(hours=8)))

    headers = dict(a_record(time=shanghai_midnight).headers)

    assert headers["ce_time"] == b"2024-05-31T16:00:00Z"


@pytest.mark.parametrize(
    "header",
    [
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_time",
        "ce_schemaversion",
        "content-type",
    ],
)
def test_a_record_missing_a_required_header_is_malformed_and_the_reason_names_it(
    header: str,
) -> None:
    record = a_record()

    reason = malformed_reason(record.key, record.value, without_header(record, header))

    assert reason == f"missing header {header}"


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        ("ce_specversion", b"0.3", "ce_specversion must be 1.0"),
        ("ce_time", b"2024-05-01 12:30:15Z", "ce_time"),
        ("ce_time", b"2024-05-01T12:30:15", "ce_time"),
        ("ce_time", b"2024-02-30T00:00:00Z", "ce_time"),
        ("ce_schemaversion", b"0", "ce_schemaversion must be a positive integer"),
        ("ce_schemaversion", b"v1", "ce_schemaversion must be a positive integer"),
        ("ce_schemaversion", b"+1", "ce_schemaversion must be a positive integer"),
        ("content-type", b"text/plain", "content-type must be application/json"),
        ("content-type", b"application/json; charset=latin-1", "content-type must be"),
        ("ce_id", b"", "id"),
        ("ce_source", b"\xff\xfe", "ce_source is not UTF-8"),
    ],
)
def test_a_record_with_an_invalid_header_value_is_malformed_with_a_reason(
    header: str, value: bytes, expected: str
) -> None:
    record = a_record()

    reason = malformed_reason(record.key, record.value, replacing_header(record, header, value))

    assert expected in reason


def test_a_header_given_twice_is_malformed_rather_than_guessed() -> None:
    record = a_record()

    reason = malformed_reason(record.key, record.value, [*record.headers, ("ce_type", b"other")])

    assert reason == "header ce_type appears more than once"


def test_a_header_without_a_value_is_malformed() -> None:
    record = a_record()
    headers: list[tuple[str, bytes | None]] = [*without_header(record, "ce_type")]
    headers.append(("ce_type", None))

    assert malformed_reason(record.key, record.value, headers) == "header ce_type has no value"


def test_headers_the_envelope_does_not_own_are_ignored() -> None:
    record = a_record()
    headers = [
        ("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        ("ce_traceid", b"something-else"),
        *record.headers,
    ]

    assert from_kafka(record.key, record.value, headers) == an_envelope()


def test_a_charset_parameter_of_utf8_on_the_content_type_is_accepted() -> None:
    record = a_record()
    headers = replacing_header(record, "content-type", b"application/json; charset=UTF-8")

    assert from_kafka(record.key, record.value, headers) == an_envelope()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"not json", "record value is not JSON"),
        (b"", "record value is not JSON"),
        (b'{"amount": 1', "record value is not JSON"),
        (b'{"amount": NaN}', "NaN is not a JSON number"),
        (b'{"amount": 1, "amount": 2}', "duplicate key 'amount'"),
        (b"[1, 2]", "must be a JSON object, got list"),
        (b'"text"', "must be a JSON object, got str"),
        (b"\xff{}", "record value is not UTF-8"),
        (None, "record has no value"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_malformed_with_a_reason(
    value: bytes | None, expected: str
) -> None:
    record = a_record()

    assert expected in malformed_reason(record.key, value, list(record.headers))


@pytest.mark.parametrize(
    ("key", "expected"),
    [(None, "record has no key"), (b"", "record has no key"), (b"\xc3", "key is not UTF-8")],
)
def test_a_record_without_a_usable_key_is_malformed(key: bytes | None, expected: str) -> None:
    record = a_record()

    assert expected in malformed_reason(key, record.value, list(record.headers))


def test_a_malformed_event_is_a_value_error_so_consumers_can_dlq_every_bad_record() -> None:
    assert issubclass(MalformedEventError, ValueError)


@pytest.mark.parametrize(
    "data",
    [
        {"at": PLACED_AT},
        {"amount": math.nan},
        {"amount": math.inf},
        {"lines": ("a", "b")},
        {"nested": {1: "non-string key"}},
        {"text": "\ud800"},
    ],
)
def test_data_that_json_cannot_carry_is_refused_when_the_envelope_is_built(
    data: dict[str, Any],
) -> None:
    with pytest.raises(ValidationError):
        an_envelope(data=data)


def test_a_naive_time_is_refused_because_it_names_no_instant() -> None:
    with pytest.raises(ValidationError):
        an_envelope(time=datetime(2024, 5, 1, 12, 0))


def test_the_envelope_keeps_its_own_copy_of_the_data() -> None:
    data: dict[str, Any] = {"lines": [{"sku": "A"}]}
    envelope = an_envelope(data=data)

    data["lines"][0]["sku"] = "changed"

    assert envelope.data == {"lines": [{"sku": "A"}]}


def test_an_envelope_cannot_be_changed_after_it_is_built() -> None:
    envelope = an_envelope()

    with pytest.raises(ValidationError):
        envelope.key = "order-2"  # type: ignore[misc]


def test_a_pydantic_model_given_as_data_is_stored_as_its_json_form() -> None:
    class Delivered(BaseModel):
        order_id: str
        delivered_at: datetime

    envelope = an_envelope(data=Delivered(order_id="order-1", delivered_at=PLACED_AT))

    assert envelope.data == {"order_id": "order-1", "delivered_at": "2024-05-01T12:30:15.250000Z"}
    assert json.loads(to_kafka(envelope).value) == envelope.data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T12:30:15Z", datetime(2024, 5, 1, 12, 30, 15, tzinfo=UTC)),
        ("2024-05-01t12:30:15z", datetime(2024, 5, 1, 12, 30, 15, tzinfo=UTC)),
        ("2024-05-01T20:30:15+08:00", datetime(2024, 5, 1, 12, 30, 15, tzinfo=UTC)),
        ("2024-05-01T12:30:15-00:00", datetime(2024, 5, 1, 12, 30, 15, tzinfo=UTC)),
        ("2024-05-01T12:30:15.1234569Z", datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)),
    ],
)
def test_rfc3339_times_are_read_as_the_instant_they_name(text: str, expected: datetime) -> None:
    assert rfc3339.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-01",
        "2024-05-01T12:30:15",
        "2024-05-01 12:30:15Z",
        "2024-05-01T12:30:60Z",
        "2024-05-01T12:30:15+24:00",
        "20240501T123015Z",
        "1714566615",
    ],
)
def test_text_that_is_not_an_rfc3339_instant_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"RFC 3339|valid instant|offset"):
        rfc3339.parse(text)
