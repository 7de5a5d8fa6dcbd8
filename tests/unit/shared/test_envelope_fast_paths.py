"""The cheap paths of the envelope module behave exactly like the validating ones."""

from datetime import UTC, datetime

import pytest
from pydantic import BaseModel

from shared.events.envelope import (
    MalformedEventError,
    from_kafka,
    new_envelope,
    record_of_model,
    to_kafka,
)

AT = datetime(2024, 5, 1, 12, 30, 15, 250_000, tzinfo=UTC)


class Sample(BaseModel):
    order_id: str
    amount: int
    note: str
    at: datetime
    tags: list[str]


SAMPLE = Sample(order_id="o-1", amount=4299, note='达人 ✓ "q"\n\t\\', at=AT, tags=["a", "b"])


def a_record(value: bytes) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    record = to_kafka(new_envelope("t", "/s", "k", {"x": 1}, event_id="e-1", time=AT))
    return record.key, value, list(record.headers)


def test_a_body_escaping_a_lone_surrogate_is_still_malformed() -> None:
    with pytest.raises(MalformedEventError, match="not encodable as UTF-8"):
        from_kafka(*a_record(b'{"text": "\\ud800"}'))


def test_escaped_and_unescaped_text_in_a_body_reads_as_the_same_characters() -> None:
    escaped = from_kafka(*a_record(b'{"text": "\\u00e9\\n"}'))
    plain = from_kafka(*a_record('{"text": "é\\n"}'.encode()))

    assert escaped.data == plain.data == {"text": "é\n"}


def test_a_record_built_from_a_model_is_byte_for_byte_the_enveloped_record() -> None:
    fast = record_of_model(
        "sample.made", "/settlement/test", "o-1", SAMPLE, event_id="e-1", time=AT, subject="s"
    )
    slow = to_kafka(
        new_envelope(
            "sample.made", "/settlement/test", "o-1", SAMPLE, event_id="e-1", time=AT, subject="s"
        )
    )

    assert fast == slow


@pytest.mark.parametrize(
    "changes",
    [{"event_id": ""}, {"key": ""}, {"time": datetime(2024, 5, 1)}, {"schemaversion": 0}],
)
def test_a_record_from_a_model_refuses_what_an_envelope_refuses(changes: dict[str, object]) -> None:
    arguments: dict[str, object] = {"key": "o-1", "event_id": "e-1", "time": AT, **changes}

    with pytest.raises(ValueError):
        record_of_model("sample.made", "/s", data=SAMPLE, **arguments)  # type: ignore[arg-type]
