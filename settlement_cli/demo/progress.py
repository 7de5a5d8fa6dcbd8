"""Progress lines of the demo: a counter rewritten in place on a terminal, plain lines
otherwise (logs, pipes, tests)."""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self._live = self.out.isatty()
        self._open_count: str | None = None

    def step(self, text: str) -> None:
        """Start a new step of the run."""
        self._finish_count()
        print(f"==> {text}", file=self.out, flush=True)

    def note(self, text: str) -> None:
        self._finish_count()
        print(f"    {text}", file=self.out, flush=True)

    def count(self, what: str, done: int, total: int) -> None:
        """Show ``done/total``: rewritten in place on a terminal, else printed when complete."""
        line = f"    {what}: {done}/{total}"
        if self._live:
            print(f"\r{line}", end="", file=self.out, flush=True)
            self._open_count = line
            if done == total:
                self._finish_count()
        elif done == total:
            print(line, file=self.out, flush=True)

    def _finish_count(self) -> None:
        if self._open_count is not None:
            print(file=self.out, flush=True)
            self._open_count = None
