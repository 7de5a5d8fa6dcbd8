"""The ledger's ``ledger.v1`` records are the ones the validating envelope path would write."""

from datetime import UTC, datetime

from services.ledger.domain.fold import fold
from services.ledger.domain.outputs import Incoming
from services.ledger.domain.state import LedgerState
from shared.events import ledger_v1
from shared.events.envelope import to_kafka
from tests.support.ledger_events import OrderStream

RECORDED_AT = datetime(2026, 11, 22, 9, 0, 1, 5, tzinfo=UTC)


def test_every_published_event_of_a_stream_encodes_to_the_enveloped_bytes() -> None:
    stream = OrderStream(seed=3).events(150)
    output = fold(LedgerState(), [Incoming(s.event_id, s.event) for s in stream])
    types = {p.event.TYPE for p in output.publications}

    assert {"ledger.order_posted", "ledger.order_reversed"} <= types
    for publication in output.publications:
        fast = ledger_v1.to_record(
            publication.event, event_id=publication.event_id, time=RECORDED_AT
        )
        enveloped = ledger_v1.to_envelope(
            publication.event, event_id=publication.event_id, time=RECORDED_AT
        )
        assert fast == to_kafka(enveloped)
