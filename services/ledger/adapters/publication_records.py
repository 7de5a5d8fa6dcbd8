"""The ledger's publications as ``ledger.v1`` Kafka records, encoded straight from the domain's
values.

``shared.events.ledger_v1`` stays the schema: each publication class has the fields of its event
model in the same order, so ``msgspec`` writes the bytes pydantic would write for the model
(``tests/unit/ledger/test_publication_records.py`` checks it over a realistic stream).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from services.ledger.domain.outputs import Publication
from services.ledger.domain.publications import PayoutPosted
from shared.events import ledger_v1
from shared.events.common import payee_key
from shared.events.envelope import KafkaRecord, record_of_json

_ENCODER = msgspec.json.Encoder()


def publication_record(publication: Publication, recorded_at: datetime) -> KafkaRecord:
    """The record of ``publication`` on ``ledger.v1``, recorded (CloudEvents time) at
    ``recorded_at``; keyed by order id, or by payee for payout postings."""
    event = publication.event
    key = (
        payee_key(event.party_type, event.party_id)
        if isinstance(event, PayoutPosted)
        else event.order_id
    )
    return record_of_json(
        event.TYPE,
        ledger_v1.SOURCE,
        key,
        _ENCODER.encode(event),
        event_id=publication.event_id,
        time=recorded_at,
        schemaversion=ledger_v1.SCHEMA_VERSION,
    )
