"""The ledger's ``ledger.v1`` records are the ones the validating envelope path would write."""

import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from services.ledger.adapters.publication_records import OutboxRows, publication_record
from services.ledger.domain.fold import evolve
from services.ledger.domain.ids import uuid5_text
from services.ledger.domain.outputs import Incoming, Publication, publication_id
from services.ledger.domain.publications import OrderDelivered
from services.ledger.domain.state import LedgerState
from shared.events import ledger_v1
from shared.events.envelope import KafkaRecord, to_kafka
from tests.support.ledger_events import OrderStream

RECORDED_AT = datetime(2026, 11, 22, 9, 0, 1, 5, tzinfo=UTC)


def enveloped(publication: Publication) -> KafkaRecord:
    """What the schema's own model, validated, would be written as."""
    event = publication.event
    model = ledger_v1.EVENT_TYPES[event.TYPE].model_validate(dataclasses.asdict(event))
    return to_kafka(ledger_v1.to_envelope(model, event_id=publication.event_id, time=RECORDED_AT))


def test_every_published_event_of_a_stream_encodes_to_the_enveloped_bytes() -> None:
    stream = OrderStream(seed=3).events(150)
    output = evolve(LedgerState(), [Incoming(s.event_id, s.event) for s in stream])
    types = {p.event.TYPE for p in output.publications}

    assert {"ledger.order_posted", "ledger.order_reversed"} <= types
    for publication in output.publications:
        assert publication_record(publication, RECORDED_AT) == enveloped(publication)


def test_times_with_offsets_and_microseconds_encode_as_the_schema_writes_them() -> None:
    for delivered_at in (
        datetime(2026, 11, 1, 8, 0, 0, 5, tzinfo=UTC),
        datetime(2026, 11, 1, 8, 0, 0, 250000, tzinfo=timezone(timedelta(hours=1))),
        datetime(2026, 11, 1, tzinfo=timezone(-timedelta(hours=5, minutes=30))),
    ):
        event = OrderDelivered("o-1", "shop-é", "GBP", delivered_at)
        publication = Publication(publication_id("e-1", event.TYPE), event)
        assert publication_record(publication, RECORDED_AT) == enveloped(publication)


@given(st.text(min_size=1))
def test_publication_ids_are_the_uuid5_of_source_id_and_type(source_id: str) -> None:
    namespace = uuid.UUID("0b6f7f57-08a5-4b8e-a2a4-5c3f1e9d2c40")
    expected = str(uuid.uuid5(namespace, f"{source_id}/ledger.order_posted"))
    assert publication_id(source_id, "ledger.order_posted") == expected
    assert uuid5_text(namespace, source_id) == str(uuid.uuid5(namespace, source_id))


def test_a_batchs_outbox_rows_hold_each_publications_record() -> None:
    stream = OrderStream(seed=4).events(40)
    output = evolve(LedgerState(), [Incoming(s.event_id, s.event) for s in stream])

    rows = OutboxRows(output.publications, RECORDED_AT)

    records = [publication_record(p, RECORDED_AT) for p in output.publications]
    assert rows.keys == [r.key for r in records]
    assert rows.values == [r.value for r in records]
    assert [json.loads(h) for h in rows.headers] == [
        [[name, value.decode()] for name, value in r.headers] for r in records
    ]
