"""The unit-of-work port the three services' handlers are written against.

Each service's ``service/ports.py`` extends ``UnitOfWork`` (or ``InboxUnitOfWork``, for a Kafka
consumer) with its own repositories; ``shared.db.unit_of_work.SqlUnitOfWork`` is the PostgreSQL
implementation, and tests pass in-memory fakes of the same surface.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Protocol, Self, TypeVar

TopicPartition = tuple[str, int]


class HasEventId(Protocol):
    @property
    def event_id(self) -> str: ...


M = TypeVar("M", bound=HasEventId)


def only_new(messages: Sequence[M], new_ids: set[str]) -> list[M]:
    """The messages whose id is in ``new_ids``, in order, each id once."""
    seen: set[str] = set()
    fresh = []
    for message in messages:
        if message.event_id in new_ids and message.event_id not in seen:
            seen.add(message.event_id)
            fresh.append(message)
    return fresh


class UnitOfWork(Protocol):
    """One transaction: ``async with uow:`` ... ``await uow.commit()``; leaving the block without
    committing rolls everything back."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


class InboxUnitOfWork(UnitOfWork, Protocol):
    """A consumer's unit of work: dedupe markers and positions commit with the state change."""

    async def claim_new(self, messages: Sequence[M]) -> list[M]:
        """Mark the messages handled; only those not handled before come back, in order, each
        event id once."""
        ...

    async def save_positions(self, next_offsets: Mapping[TopicPartition, int]) -> None: ...

    async def stored_positions(self) -> dict[TopicPartition, int]:
        """Where the consumer resumes: the next offset of each partition it has handled."""
        ...
