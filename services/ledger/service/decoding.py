"""Consumed Kafka records -> the fold's ``Incoming`` events.

Any failure here is a ValueError (malformed envelope, unknown type, invalid data, wrong key), so a
poison record is retried a bounded number of times and then dead-lettered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from services.ledger.domain.outputs import Incoming
from shared.events import orders_v1, payouts_v1
from shared.events.envelope import Envelope, from_kafka
from shared.kafka.consumer import ConsumedRecord

Parser = Callable[[Envelope], orders_v1.OrdersEvent | payouts_v1.PayoutsEvent]


class UnexpectedTopicError(ValueError):
    """A record from a topic the ledger does not fold."""


class RecordDecoder:
    """Decodes records of the orders and payouts topics named in the settings."""

    def __init__(self, *, topic_orders: str, topic_payouts: str) -> None:
        self.topic_orders = topic_orders
        self.topic_payouts = topic_payouts
        self._parsers: Mapping[str, Parser] = {
            topic_orders: orders_v1.parse_envelope,
            topic_payouts: payouts_v1.parse_envelope,
        }

    @property
    def topics(self) -> list[str]:
        return list(self._parsers)

    def __call__(self, record: ConsumedRecord) -> Incoming:
        parser = self._parsers.get(record.topic)
        if parser is None:
            raise UnexpectedTopicError(f"the ledger does not fold topic {record.topic!r}")
        envelope = from_kafka(record.key, record.value, record.headers)
        return Incoming(event_id=envelope.id, event=parser(envelope))
