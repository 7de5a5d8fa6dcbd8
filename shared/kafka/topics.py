"""Creates the project's topics (and their dead-letter topics) if they do not exist."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

DEFAULT_PARTITIONS = 3


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


async def ensure_topics(
    bootstrap_servers: str,
    topics: Iterable[str],
    *,
    partitions: int = DEFAULT_PARTITIONS,
    config: Mapping[str, str] | None = None,
    dead_letters: bool = True,
) -> None:
    """Create each topic and, unless `dead_letters` is false, its `<topic>.dlq`, all with
    `config` (e.g. compaction); topics that already exist are left as they are."""
    names = set(topics)
    wanted = sorted(names | {dlq_topic(topic) for topic in names} if dead_letters else names)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=15_000)
    await asyncio.wait_for(admin.start(), 30)
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if not missing:
            return
        with contextlib.suppress(TopicAlreadyExistsError):  # another process was first
            await admin.create_topics(
                [
                    NewTopic(
                        name,
                        num_partitions=partitions,
                        replication_factor=1,
                        topic_configs=dict(config or {}),
                    )
                    for name in missing
                ]
            )
    finally:
        await admin.close()
