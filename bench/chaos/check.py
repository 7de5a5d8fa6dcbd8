"""What one invariant check found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Check:
    ok: bool | None  # None: could not be checked (said why in `note`)
    counts: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def status(self) -> str:
        return {True: "ok", False: "VIOLATED", None: "n/a"}[self.ok]
