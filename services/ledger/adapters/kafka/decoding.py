"""Consumed Kafka records -> the fold's ``Incoming`` events, decoded once each
(``shared.events.lean_decoding``).

Any failure here is a ValueError (malformed envelope, unknown type, invalid data, wrong key), so a
poison record is retried a bounded number of times and then dead-lettered.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.ledger.domain.outputs import Incoming
from shared.events import orders_v1, payouts_v1
from shared.events.lean_decoding import TopicDecoder
from shared.kafka.consumer import ConsumedRecord


class UnexpectedTopicError(ValueError):
    """A record from a topic the ledger does not fold."""


class RecordDecoder:
    """Decodes records of the orders and payouts topics named in the settings."""

    def __init__(self, *, topic_orders: str, topic_payouts: str) -> None:
        self.topic_orders = topic_orders
        self.topic_payouts = topic_payouts
        self._decoders: Mapping[
            str, TopicDecoder[orders_v1.OrdersEvent] | TopicDecoder[payouts_v1.PayoutsEvent]
        ] = {
            topic_orders: TopicDecoder(
                topic_orders,
                orders_v1.EVENT_TYPES,
                orders_v1.SCHEMA_VERSION,
                orders_v1.parse_envelope,
            ),
            topic_payouts: TopicDecoder(
                topic_payouts,
                payouts_v1.EVENT_TYPES,
                payouts_v1.SCHEMA_VERSION,
                payouts_v1.parse_envelope,
            ),
        }

    @property
    def topics(self) -> list[str]:
        return list(self._decoders)

    def __call__(self, record: ConsumedRecord) -> Incoming:
        decoder = self._decoders.get(record.topic)
        if decoder is None:
            raise UnexpectedTopicError(f"the ledger does not fold topic {record.topic!r}")
        event_id, event = decoder(record.key, record.value, record.headers)
        return Incoming(event_id=event_id, event=event)
