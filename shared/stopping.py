"""Background loops that stop promptly: every worker sleeps through ``pause`` and repeats work
through ``repeat``, so setting the stop event ends any of them within one step."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from shared.logging import get_logger

log = get_logger(__name__)


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less if ``stop`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def repeat(
    stop: asyncio.Event, every_s: float, action: Callable[[], Awaitable[object]], *, name: str
) -> None:
    """Run ``action`` now and then every ``every_s`` until ``stop``; a failure (the database
    may be down) is logged as ``<name>_failed`` and the next round tries again."""
    while not stop.is_set():
        try:
            await action()
        except Exception as error:
            log.warning(f"{name}_failed", error=str(error))
        await pause(stop, every_s)
