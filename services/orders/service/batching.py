"""Group commit: concurrent callers share one flush (one query, one transaction).

``await batcher.submit(item)`` queues the item and returns its own result once the group it
joined is flushed. A group is flushed when ``max_size`` items wait, or ``max_wait_s`` after its
first item arrived, whichever comes first; at most ``max_in_flight`` flushes run at a time, and
items arriving meanwhile wait for the next group (they are flushed as soon as a flush ends, if
they are due). ``max_wait_s = 0`` flushes at once whenever a flush may start: callers then batch
only while another flush is in flight, which adds no latency.

The flush function returns one outcome per item, in order: a result, or an exception that only
that caller raises. If the flush itself raises, every caller of the group raises that exception.
A caller that is cancelled while it waits does not withdraw its item: the group is flushed with
it (its outcome is dropped), so an item is handled entirely or not at all, never in part.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

Flush = Callable[[Sequence[Item]], Awaitable[Sequence[Result | Exception]]]


class Batcher(Generic[Item, Result]):
    """See the module docstring. Not thread-safe: use it from one event loop."""

    def __init__(
        self,
        flush: Flush[Item, Result],
        *,
        max_size: int,
        max_wait_s: float,
        max_in_flight: int = 1,
    ) -> None:
        if max_size < 1 or max_wait_s < 0 or max_in_flight < 1:
            raise ValueError("max_size and max_in_flight must be >= 1, max_wait_s >= 0")
        self._flush = flush
        self._max_size = max_size
        self._max_wait_s = max_wait_s
        self._max_in_flight = max_in_flight
        self._waiting: list[tuple[Item, asyncio.Future[Result], float]] = []
        self._in_flight: set[asyncio.Task[None]] = set()
        self._timer: asyncio.TimerHandle | None = None
        self.groups_flushed = 0
        """How many groups were flushed so far (for tests and metrics)."""

    async def submit(self, item: Item) -> Result:
        """The outcome of ``item`` once its group is flushed (raises its exception)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self._waiting.append((item, future, loop.time()))
        self._flush_due(loop)
        return await asyncio.shield(future)

    def _flush_due(self, loop: asyncio.AbstractEventLoop) -> None:
        while self._waiting and len(self._in_flight) < self._max_in_flight:
            first_at = self._waiting[0][2]
            due_at = first_at + self._max_wait_s
            if len(self._waiting) < self._max_size and loop.time() < due_at:
                if self._timer is None:
                    self._timer = loop.call_at(due_at, self._on_timer, loop)
                return
            group = self._waiting[: self._max_size]
            del self._waiting[: self._max_size]
            task = loop.create_task(self._run(group, loop))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        if not self._waiting and self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _on_timer(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        self._flush_due(loop)

    async def _run(
        self,
        group: list[tuple[Item, asyncio.Future[Result], float]],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        try:
            outcomes = await self._flush([item for item, _, _ in group])
            if len(outcomes) != len(group):
                raise RuntimeError(f"flush gave {len(outcomes)} outcomes for {len(group)} items")
        except Exception as error:  # every caller of the group gets the flush's failure
            for _, future, _ in group:
                if not future.done():
                    future.set_exception(error)
                    future.exception()  # a cancelled caller never reads it; that is fine
        else:
            for (_, future, _), outcome in zip(group, outcomes, strict=True):
                if future.done():
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                    future.exception()
                else:
                    future.set_result(outcome)
        finally:
            self.groups_flushed += 1
            self._in_flight.discard(asyncio.current_task())
            self._flush_due(loop)
