"""Queries behind the ledger's read API and its digest; balances are sums of postings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.ledger.adapters.db.tables import accounts, journal_entries, ledger_orders, postings
from services.ledger.service.queries import PartyBalances, SubBalance

__all__ = ["PartyBalances", "SqlLedgerReads", "SubBalance"]


async def party_balances(
    conn: AsyncConnection,
    party_type: str,
    party_id: str,
    as_of: datetime | None = None,
    *,
    exclusive: bool = False,
) -> list[SubBalance]:
    """Balances of a party per currency and sub-account, counting postings whose business time
    is up to ``as_of`` (before it when ``exclusive``)."""
    condition = and_(accounts.c.party_type == party_type, accounts.c.party_id == party_id)
    joined = accounts.join(postings, postings.c.account == accounts.c.code)
    query = (
        select(accounts.c.currency, accounts.c.sub_account, func.sum(postings.c.amount))
        .select_from(joined)
        .where(condition)
        .group_by(accounts.c.currency, accounts.c.sub_account)
        .order_by(accounts.c.currency, accounts.c.sub_account)
    )
    if as_of is not None:
        cutoff = postings.c.occurred_at < as_of if exclusive else postings.c.occurred_at <= as_of
        query = query.where(cutoff)
    rows = await conn.execute(query)
    return [SubBalance(row[0], row[1], int(row[2])) for row in rows]


async def balances_page(
    conn: AsyncConnection, after: tuple[str, str] | None, limit: int
) -> list[PartyBalances]:
    """Current balances of up to ``limit`` parties (system accounts left out), in (party_type,
    party_id) code-point order, starting after the party ``after``.

    Cost: one pass over ``accounts`` to pick the page (it has no index by party) plus the
    page's postings through ``postings_by_account``.
    """
    party_type, party_id = accounts.c.party_type.collate("C"), accounts.c.party_id.collate("C")
    page = (
        select(accounts.c.party_type, accounts.c.party_id)
        .where(accounts.c.party_type != "system")
        .group_by(accounts.c.party_type, accounts.c.party_id)
        .order_by(party_type, party_id)
        .limit(limit)
    )
    if after is not None:
        page = page.where(
            tuple_(party_type, party_id) > tuple_(literal(after[0]), literal(after[1]))
        )
    parties = page.cte("page")
    query = (
        select(
            accounts.c.party_type,
            accounts.c.party_id,
            accounts.c.currency,
            accounts.c.sub_account,
            func.sum(postings.c.amount),
        )
        .select_from(
            parties.join(
                accounts,
                and_(
                    accounts.c.party_type == parties.c.party_type,
                    accounts.c.party_id == parties.c.party_id,
                ),
            ).join(postings, postings.c.account == accounts.c.code)
        )
        .group_by(
            accounts.c.party_type, accounts.c.party_id, accounts.c.currency, accounts.c.sub_account
        )
    )
    found: dict[tuple[str, str], list[SubBalance]] = {}
    for row in await conn.execute(query):
        found.setdefault((row[0], row[1]), []).append(SubBalance(row[2], row[3], int(row[4])))
    # Python orders str by code point, as the "C" collation orders UTF-8 text.
    return [
        PartyBalances(party[0], party[1], sorted(subs, key=lambda b: (b.currency, b.sub_account)))
        for party, subs in sorted(found.items())
    ]


async def trial_balance(conn: AsyncConnection) -> list[tuple[str, int, int]]:
    """(currency, sum of every posting, number of postings) per currency; the sum is always 0."""
    rows = await conn.execute(
        select(postings.c.currency, func.sum(postings.c.amount), func.count())
        .group_by(postings.c.currency)
        .order_by(postings.c.currency)
    )
    return [(row[0], int(row[1]), int(row[2])) for row in rows]


async def account_balances(conn: AsyncConnection) -> list[tuple[str, int]]:
    """(account code, balance) of every account, sorted by code: what the digest hashes."""
    rows = await conn.execute(
        select(postings.c.account, func.sum(postings.c.amount))
        .group_by(postings.c.account)
        .order_by(postings.c.account)
    )
    return [(row[0], int(row[1])) for row in rows]


_ENTRY_COLUMNS = (
    journal_entries.c.id,
    journal_entries.c.event_id,
    journal_entries.c.order_id,
    journal_entries.c.kind,
    journal_entries.c.occurred_at,
    journal_entries.c.recorded_at,
    journal_entries.c.rule_version,
    journal_entries.c.details,
)


def _entry_shop() -> Any:
    """An entry's shop: its own ``shop_id``, or for an entry written before orders were keyed
    by shop, the shop of its order's legacy row (order ids were unique across shops then)."""
    legacy = (
        select(ledger_orders.c.shop_id)
        .where(ledger_orders.c.order_id == journal_entries.c.order_id, ledger_orders.c.legacy)
        .scalar_subquery()
    )
    return func.coalesce(journal_entries.c.shop_id, legacy).label("shop_id")


async def order_entries(conn: AsyncConnection, order_id: str) -> list[tuple[Any, list[Any]]]:
    """The entries of every shop's order ``order_id`` in posting order, each with its postings
    in line order; each entry row carries its order's ``shop_id``."""
    entries = (
        await conn.execute(
            select(*_ENTRY_COLUMNS, _entry_shop())
            .where(journal_entries.c.order_id == order_id)
            .order_by(journal_entries.c.seq)
        )
    ).all()
    if not entries:
        return []
    lines = (
        await conn.execute(
            select(postings)
            .where(postings.c.entry_id.in_([entry.id for entry in entries]))
            .order_by(postings.c.entry_id, postings.c.line_no)
        )
    ).all()
    by_entry: dict[Any, list[Any]] = {}
    for line in lines:
        by_entry.setdefault(line.entry_id, []).append(line)
    return [(entry, by_entry.get(entry.id, [])) for entry in entries]


async def statement_lines(
    conn: AsyncConnection,
    party_type: str,
    party_id: str,
    start: datetime | None,
    end: datetime | None,
) -> Sequence[Any]:
    """The party's postings with ``start <= occurred_at < end``, oldest first, with entry facts."""
    query = (
        select(
            postings.c.occurred_at,
            accounts.c.currency,
            accounts.c.sub_account,
            postings.c.amount,
            postings.c.leg,
            postings.c.plan_id,
            postings.c.rate_bps,
            journal_entries.c.kind,
            journal_entries.c.order_id,
            journal_entries.c.event_id,
        )
        .select_from(
            postings.join(accounts, postings.c.account == accounts.c.code).join(
                journal_entries, journal_entries.c.id == postings.c.entry_id
            )
        )
        .where(accounts.c.party_type == party_type, accounts.c.party_id == party_id)
        .order_by(postings.c.occurred_at, journal_entries.c.seq, postings.c.line_no)
    )
    if start is not None:
        query = query.where(postings.c.occurred_at >= start)
    if end is not None:
        query = query.where(postings.c.occurred_at < end)
    return (await conn.execute(query)).all()


class SqlLedgerReads:
    """``service.queries.LedgerReads`` on the ledger's database: one connection per read."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def party_balances(
        self, party_type: str, party_id: str, as_of: datetime | None, *, exclusive: bool = False
    ) -> list[SubBalance]:
        async with self._engine.connect() as conn:
            return await party_balances(conn, party_type, party_id, as_of, exclusive=exclusive)

    async def balances_page(self, after: tuple[str, str] | None, limit: int) -> list[PartyBalances]:
        async with self._engine.connect() as conn:
            return await balances_page(conn, after, limit)

    async def order_entries(self, order_id: str) -> list[tuple[Any, list[Any]]]:
        async with self._engine.connect() as conn:
            return await order_entries(conn, order_id)

    async def trial_balance(self) -> list[tuple[str, int, int]]:
        async with self._engine.connect() as conn:
            return await trial_balance(conn)

    async def statement_lines(
        self, party_type: str, party_id: str, start: datetime | None, end: datetime | None
    ) -> Sequence[Any]:
        async with self._engine.connect() as conn:
            return await statement_lines(conn, party_type, party_id, start, end)
