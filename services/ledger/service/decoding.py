"""Moved to ``services.ledger.adapters.kafka.decoding`` (decoding is the Kafka adapter's job).

Kept only while ``service/replaying.py`` still imports it from here; remove with that import.
"""

from services.ledger.adapters.kafka.decoding import RecordDecoder, UnexpectedTopicError

__all__ = ["RecordDecoder", "UnexpectedTopicError"]
