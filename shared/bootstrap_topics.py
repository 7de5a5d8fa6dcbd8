"""Creates every topic (the three event topics with their dead-letter topics, and the compacted
revocations topic): `python -m shared.bootstrap_topics`."""

from __future__ import annotations

import asyncio

from shared.kafka.topics import ensure_topics
from shared.service.token_revocations import ensure_revocations_topic
from shared.settings import ServiceSettings

TOPICS = ("orders.v1", "ledger.v1", "payouts.v1")


def main() -> None:
    settings = ServiceSettings(service_name="bootstrap")
    asyncio.run(ensure_topics(settings.kafka_bootstrap_servers, TOPICS))
    asyncio.run(
        ensure_revocations_topic(settings.kafka_bootstrap_servers, settings.topic_revocations)
    )


if __name__ == "__main__":
    main()
