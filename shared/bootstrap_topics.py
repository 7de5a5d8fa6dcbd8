"""Creates every topic and its dead-letter topic: `python -m shared.bootstrap_topics`."""

from __future__ import annotations

import asyncio

from shared.kafka.topics import ensure_topics
from shared.settings import ServiceSettings

TOPICS = ("orders.v1", "ledger.v1", "payouts.v1")


def main() -> None:
    settings = ServiceSettings(service_name="bootstrap")
    asyncio.run(ensure_topics(settings.kafka_bootstrap_servers, TOPICS))


if __name__ == "__main__":
    main()
