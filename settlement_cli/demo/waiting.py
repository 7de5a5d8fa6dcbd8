"""Bounded polling with visible progress: every wait of the demo ends, in success or a
``DemoTimeoutError`` that names what was still missing."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from settlement_cli.demo.progress import Progress


class DemoTimeoutError(RuntimeError):
    """A wait of the demo did not complete within its bound."""


def wait_for_all(
    what: str,
    items: Sequence[str],
    is_done: Callable[[str], bool],
    progress: Progress,
    *,
    timeout_s: float,
    interval_s: float = 0.3,
) -> None:
    """Poll ``is_done(item)`` for every item not done yet until all are done, at most
    ``timeout_s`` seconds; raises ``DemoTimeoutError`` listing the items still missing."""
    pending = list(items)
    deadline = time.monotonic() + timeout_s
    while True:
        pending = [item for item in pending if not is_done(item)]
        progress.count(what, len(items) - len(pending), len(items))
        if not pending:
            return
        if time.monotonic() >= deadline:
            shown = ", ".join(pending[:5]) + (" ..." if len(pending) > 5 else "")
            raise DemoTimeoutError(
                f"{what}: {len(pending)} of {len(items)} still not done after {timeout_s:.0f}s "
                f"({shown})"
            )
        time.sleep(interval_s)
