"""The ledger's publications as ``ledger.v1`` Kafka records and outbox rows, encoded straight
from the domain's values.

``shared.events.ledger_v1`` stays the schema: each publication class has the fields of its event
model in the same order, so ``msgspec`` writes the bytes pydantic would write for the model, and
the headers are those ``to_kafka`` writes (``tests/unit/ledger/test_publication_records.py``
checks both over a realistic stream).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import msgspec

from services.ledger.domain.outputs import Publication
from services.ledger.domain.publications import LedgerPublication, PayoutPosted
from shared.events import ledger_v1
from shared.events.common import payee_key
from shared.events.envelope import KafkaRecord, record_of_json, to_kafka_headers

_ENCODER = msgspec.json.Encoder()


def record_key(event: LedgerPublication) -> str:
    """Order events are keyed by order id, payout postings by payee."""
    if isinstance(event, PayoutPosted):
        return payee_key(event.party_type, event.party_id)
    return event.order_id


def publication_record(publication: Publication, recorded_at: datetime) -> KafkaRecord:
    """The record of ``publication`` on ``ledger.v1``, recorded (CloudEvents time) at
    ``recorded_at``."""
    event = publication.event
    return record_of_json(
        event.TYPE,
        ledger_v1.SOURCE,
        record_key(event),
        _ENCODER.encode(event),
        event_id=publication.event_id,
        time=recorded_at,
        schemaversion=ledger_v1.SCHEMA_VERSION,
    )


class OutboxRows:
    """The outbox rows of a batch's publications, all recorded at one instant: ``keys``,
    ``values`` and ``headers`` (JSON text ``[[name, utf-8 value], ...]``, as ``add_to_outbox``
    stores them), in publication order. The headers common to the batch are encoded once."""

    def __init__(self, publications: Sequence[Publication], recorded_at: datetime) -> None:
        template = to_kafka_headers(
            "{id}",
            ledger_v1.SOURCE,
            "{type}",
            recorded_at,
            None,
            ledger_v1.SCHEMA_VERSION,
        )
        # Ids are UUIDs and types plain names, so they need no JSON escaping inside the text.
        pattern = json.dumps([[name, value.decode()] for name, value in template])
        self.keys: list[bytes] = []
        self.values: list[bytes] = []
        self.headers: list[str] = []
        for publication in publications:
            event = publication.event
            self.keys.append(record_key(event).encode())
            self.values.append(_ENCODER.encode(event))
            self.headers.append(
                pattern.replace("{id}", publication.event_id, 1).replace("{type}", event.TYPE, 1)
            )
