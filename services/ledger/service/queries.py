"""The reads the ledger's API serves: balances, an order's entries, the trial balance and
statements, through the ``LedgerReads`` port. Every amount is integer minor units; balances are
sums of postings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class SubBalance:
    """Sum of one party's postings in one currency and sub-account, integer minor units."""

    currency: str
    sub_account: str
    amount: int


@dataclass(frozen=True, slots=True)
class PartyBalances:
    party_type: str
    party_id: str
    balances: list[SubBalance]


class LedgerReads(Protocol):
    """Read access to the journal (``adapters/db/read_repository.SqlLedgerReads``)."""

    async def party_balances(
        self, party_type: str, party_id: str, as_of: datetime | None, *, exclusive: bool = False
    ) -> list[SubBalance]: ...

    async def balances_page(
        self, after: tuple[str, str] | None, limit: int
    ) -> list[PartyBalances]: ...

    async def order_entries(self, order_id: str) -> list[tuple[Any, list[Any]]]: ...

    async def trial_balance(self) -> list[tuple[str, int, int]]: ...

    async def statement_lines(
        self, party_type: str, party_id: str, start: datetime | None, end: datetime | None
    ) -> Sequence[Any]: ...


@dataclass(frozen=True, slots=True)
class StatementData:
    """A party's balances just before ``start`` (empty without one) and its postings in
    ``[start, end)``, oldest first."""

    opening: list[SubBalance]
    lines: Sequence[Any]


class LedgerQueries:
    def __init__(self, reads: LedgerReads) -> None:
        self._reads = reads

    async def balances_page(self, after: tuple[str, str] | None, limit: int) -> list[PartyBalances]:
        """Up to ``limit`` parties after ``after`` in (party_type, party_id) order."""
        return await self._reads.balances_page(after, limit)

    async def party_balances(
        self, party_type: str, party_id: str, as_of: datetime | None
    ) -> list[SubBalance]:
        """The party's balances counting postings whose business time is up to ``as_of``."""
        return await self._reads.party_balances(party_type, party_id, as_of)

    async def order_entries(self, order_id: str) -> list[tuple[Any, list[Any]]]:
        """Every shop's entries of ``order_id``, each with its postings."""
        return await self._reads.order_entries(order_id)

    async def trial_balance(self) -> list[tuple[str, int, int]]:
        """(currency, sum of postings, number of postings) per currency."""
        return await self._reads.trial_balance()

    async def statement(
        self, party_type: str, party_id: str, start: datetime | None, end: datetime | None
    ) -> StatementData:
        opening = (
            await self._reads.party_balances(party_type, party_id, start, exclusive=True)
            if start
            else []
        )
        lines = await self._reads.statement_lines(party_type, party_id, start, end)
        return StatementData(opening, lines)
