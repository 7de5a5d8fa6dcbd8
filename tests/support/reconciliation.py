"""Fakes of the ports reconciliation reads (this service's view, the ledger, the provider), each
answering from what the test put in, look after look."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from services.payouts.domain.reconciliation import (
    Figures,
    PartyCurrency,
    PayoutState,
    ProviderStatus,
)
from services.payouts.service.ports import LedgerUnavailableError, OwnView

CHECKED_AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class FakeView:
    """This service's side: `looks` are returned one per read (the last one repeats)."""

    def __init__(self, *looks: OwnView) -> None:
        self._looks = list(looks)
        self.windows: list[timedelta] = []

    async def read(self, payout_window: timedelta) -> OwnView:
        self.windows.append(payout_window)
        return self._looks.pop(0) if len(self._looks) > 1 else self._looks[0]


def own_view(
    pending: Mapping[PartyCurrency, int] | None = None,
    available: Mapping[PartyCurrency, int] | None = None,
    payouts: Sequence[PayoutState] = (),
) -> OwnView:
    return OwnView(CHECKED_AT, dict(pending or {}), dict(available or {}), list(payouts))


class FakeLedger:
    """The ledger's balances, one mapping per look (the last one repeats); `down` raises."""

    def __init__(self, *looks: Mapping[PartyCurrency, Figures], down: bool = False) -> None:
        self._looks = [dict(look) for look in looks] or [{}]
        self._down = down
        self.calls = 0

    async def all_balances(self) -> dict[PartyCurrency, Figures]:
        self.calls += 1
        if self._down:
            raise LedgerUnavailableError("the ledger at http://ledger.invalid did not answer")
        return self._looks.pop(0) if len(self._looks) > 1 else self._looks[0]


class FakeProvider:
    """The provider's books; `broken` makes every lookup fail."""

    def __init__(
        self, books: Mapping[str, ProviderStatus] | None = None, *, broken: bool = False
    ) -> None:
        self.books = dict(books or {})
        self._broken = broken

    async def statuses(self, payout_ids: Sequence[str]) -> dict[str, ProviderStatus]:
        if self._broken:
            raise ConnectionError("provider API unreachable")
        return {i: self.books[i] for i in payout_ids if i in self.books}


class RecordedSleep:
    """Stands in for `asyncio.sleep`: records the pauses, waits for nothing."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)
