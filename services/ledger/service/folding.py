"""Replaced by ``service/handlers.py`` (``fold_batch``) and ``adapters/kafka/fold_consumer.py``.

Kept only while ``service/replaying.py`` imports ``CONSUMER_NAME`` from here; remove with it.
"""

from services.ledger.service.handlers import CONSUMER_NAME

__all__ = ["CONSUMER_NAME"]
