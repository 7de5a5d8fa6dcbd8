"""The group-commit batcher: who shares a flush, when it runs, and who gets which outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from services.orders.service.batching import Batcher


class Flushes:
    def __init__(self, *, delay_s: float = 0.0, fail: Exception | None = None) -> None:
        self.groups: list[list[int]] = []
        self.delay_s = delay_s
        self.fail = fail
        self.running = 0
        self.most_running = 0

    async def __call__(self, items: Sequence[int]) -> list[int | Exception]:
        self.groups.append(list(items))
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            await asyncio.sleep(self.delay_s)
            if self.fail is not None:
                raise self.fail
            return [ValueError(f"odd {n}") if n % 2 else n * 10 for n in items]
        finally:
            self.running -= 1


async def test_a_full_group_is_flushed_at_once_and_each_caller_gets_its_own_outcome() -> None:
    flushes = Flushes()
    batcher = Batcher(flushes, max_size=4, max_wait_s=60)

    outcomes = await asyncio.gather(*(batcher.submit(n) for n in range(4)), return_exceptions=True)

    assert flushes.groups == [[0, 1, 2, 3]]
    assert outcomes[0] == 0 and outcomes[2] == 20
    assert isinstance(outcomes[1], ValueError) and str(outcomes[1]) == "odd 1"


async def test_a_group_that_does_not_fill_up_is_flushed_after_the_wait() -> None:
    flushes = Flushes()
    batcher = Batcher(flushes, max_size=100, max_wait_s=0.05)
    loop = asyncio.get_running_loop()
    started = loop.time()

    assert list(await asyncio.gather(batcher.submit(0), batcher.submit(2))) == [0, 20]

    assert flushes.groups == [[0, 2]]
    assert loop.time() - started >= 0.045


async def test_items_arriving_during_a_flush_wait_for_the_next_group() -> None:
    flushes = Flushes(delay_s=0.05)
    batcher = Batcher(flushes, max_size=10, max_wait_s=0)

    first = asyncio.create_task(batcher.submit(0))
    await asyncio.sleep(0.01)  # the first group is in flight
    later = await asyncio.gather(*(batcher.submit(n) for n in (2, 4, 6)))

    assert (await first, later) == (0, [20, 40, 60])
    assert flushes.groups == [[0], [2, 4, 6]]
    assert flushes.most_running == 1


async def test_at_most_max_in_flight_groups_run_at_once() -> None:
    flushes = Flushes(delay_s=0.02)
    batcher = Batcher(flushes, max_size=1, max_wait_s=0, max_in_flight=2)

    await asyncio.gather(*(batcher.submit(n * 2) for n in range(6)))

    assert flushes.most_running == 2
    assert sorted(n for group in flushes.groups for n in group) == [0, 2, 4, 6, 8, 10]


async def test_a_failed_flush_fails_every_caller_of_its_group() -> None:
    flushes = Flushes(fail=ConnectionResetError("gone"))
    batcher = Batcher(flushes, max_size=3, max_wait_s=60)

    outcomes = await asyncio.gather(*(batcher.submit(n) for n in range(3)), return_exceptions=True)

    assert all(isinstance(outcome, ConnectionResetError) for outcome in outcomes)


async def test_a_cancelled_caller_does_not_withdraw_its_item() -> None:
    flushes = Flushes(delay_s=0.02)
    batcher = Batcher(flushes, max_size=10, max_wait_s=0)

    caller = asyncio.create_task(batcher.submit(4))
    await asyncio.sleep(0.005)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert await batcher.submit(6) == 60

    assert flushes.groups == [[4], [6]]
