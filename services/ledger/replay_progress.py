"""Progress of a replay, for the operator: records done per phase out of the total."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Sequence
from typing import TextIO


class Progress:
    """``progress(phase, n)`` counts ``n`` more records done in ``phase``; a line such as
    ``replay verify: read 120000/480000, folded 60000/480000 (41000/s)`` goes to ``out`` at most
    once a second (the rate is the last phase's since the start), and on ``show()``."""

    def __init__(
        self,
        mode: str,
        total: int,
        phases: Sequence[str],
        out: TextIO | None = sys.stderr,
    ) -> None:
        self._mode, self._total, self._phases, self._out = mode, total, tuple(phases), out
        self._done: Counter[str] = Counter()
        self._started = self._shown = time.perf_counter()

    def __call__(self, phase: str, n: int) -> None:
        self._done[phase] += n
        now = time.perf_counter()
        if now - self._shown >= 1.0:
            self._shown = now
            self.show()

    def show(self) -> None:
        if self._out is None:
            return
        seconds = time.perf_counter() - self._started
        done = ", ".join(f"{phase} {self._done[phase]}/{self._total}" for phase in self._phases)
        last = self._done[self._phases[-1]]
        rate = last / seconds if seconds else 0.0
        print(f"replay {self._mode}: {done} ({rate:.0f}/s)", file=self._out, flush=True)
