"""The ledger's read API: balances (one party's, or every party's page by page), an order's
entries, the trial balance, statements.

Admin token, or a read token of the party asked about; platform and tax, the trial balance and
the list of every party's balances are admin-only. Balances and statements show one party's own
postings only. An order's entries (keyed by order, not party) show the admin and the order's
merchant everything and a creator or an agency only its own postings and the details behind them
(``entries.py``; the rule is ``shared.privacy``). Statement CSV quotes text cells that could
start a spreadsheet formula and keeps amounts as numbers (``shared.csv_cells``).
Errors are problem+json: an unknown party type or a bad instant is 422, an order without
entries 404.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from services.ledger.api.entries import party_of, visible_entries
from services.ledger.api.schemas import (
    BalancesListPublic,
    BalancesPublic,
    CurrencyTotalPublic,
    OrderEntriesPublic,
    PartyBalancesPublic,
    StatementPublic,
    TrialBalancePublic,
)
from services.ledger.api.statements import build_statement, by_currency
from services.ledger.service.queries import LedgerQueries
from shared.csv_cells import csv_text
from shared.events import rfc3339
from shared.events.common import PARTY_TYPES
from shared.http.auth import AdminDep, PrincipalDep, require_read_access
from shared.http.ids import IdPath, ShopIdQuery
from shared.http.order_scope import resolve_shop
from shared.http.problems import ProblemError
from shared.privacy import visibility
from shared.read_tokens import is_valid_party_id


def _party_type(party_type: str) -> str:
    if party_type not in PARTY_TYPES:
        raise ProblemError(
            422,
            "Unknown party type",
            f"party_type must be one of {', '.join(PARTY_TYPES)}",
            type_suffix="unknown-party-type",
        )
    return party_type


def _instant(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return rfc3339.parse(value)
    except ValueError as error:
        raise ProblemError(
            422, "Invalid instant", f"{name}: {error}", type_suffix="invalid-instant"
        ) from None


def _cursor(party_type: str, party_id: str) -> str:
    raw = json.dumps([party_type, party_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _after(cursor: str | None) -> tuple[str, str] | None:
    if cursor is None:
        return None
    try:
        after = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        after = None
    match after:
        case [str(party_type), str(party_id)] if all(map(is_valid_party_id, after)):
            return party_type, party_id
    raise ProblemError(
        422, "Invalid cursor", "cursor is not one this API returned", type_suffix="invalid-cursor"
    )


def ledger_router(queries: LedgerQueries) -> APIRouter:
    router = APIRouter(tags=["ledger"])

    @router.get("/v1/balances")
    async def all_balances(
        _: AdminDep,
        cursor: Annotated[str | None, Query(max_length=2048)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> BalancesListPublic:
        """Every party's current pending, available and paid_out per currency (admin): parties
        in (party_type, party_id) order, ``limit`` per page; follow ``next_cursor`` until null.
        Pages are read one at a time, so a page reflects the journal when it was read."""
        page = await queries.balances_page(_after(cursor), limit)
        return BalancesListPublic(
            items=[
                PartyBalancesPublic(
                    party_type=party.party_type,
                    party_id=party.party_id,
                    balances=by_currency(party.balances),
                )
                for party in page
            ],
            next_cursor=_cursor(page[-1].party_type, page[-1].party_id)
            if len(page) == limit
            else None,
        )

    @router.get("/v1/balances/{party_type}/{party_id}")
    async def balances(
        party_type: str,
        party_id: IdPath,
        principal: PrincipalDep,
        as_of: Annotated[str | None, Query(description="RFC 3339 instant")] = None,
    ) -> BalancesPublic:
        """Pending, available and paid_out per currency (sums of postings up to ``as_of``)."""
        require_read_access(principal, _party_type(party_type), party_id)
        instant = _instant("as_of", as_of)
        found = await queries.party_balances(party_type, party_id, instant)
        return BalancesPublic(
            party_type=party_type, party_id=party_id, as_of=instant, balances=by_currency(found)
        )

    @router.get("/v1/orders/{order_id}/entries")
    async def order_entries(
        order_id: IdPath,
        principal: PrincipalDep,
        shop_id: ShopIdQuery = None,
    ) -> OrderEntriesPublic:
        """The entries of the shop's order with their postings. An order is (shop_id,
        order_id): a merchant token reads its own shop's, a creator or agency token only orders
        it is a party to (any other answers 404, like a missing one); several matches without
        ``shop_id`` answer 409 listing the shops. The admin and the merchant see every entry
        whole; a creator or an agency only its own postings (``api/entries.py``)."""
        every_shop = await queries.order_entries(order_id)
        parties: dict[str, set[tuple[str, str]]] = {}
        for entry, lines in every_shop:
            found_parties = parties.setdefault(entry.shop_id, set())
            found_parties.update(party_of(line.account) for line in lines)
        shop = resolve_shop(principal, order_id, parties, shop_id)
        found = [(entry, lines) for entry, lines in every_shop if entry.shop_id == shop]
        return OrderEntriesPublic(
            order_id=order_id,
            shop_id=shop,
            entries=visible_entries(found, visibility(principal, shop)),
        )

    @router.get("/v1/trial-balance")
    async def trial_balance(_: AdminDep) -> TrialBalancePublic:
        """Sum of all postings per currency: every one is 0 in a sound ledger."""
        totals = await queries.trial_balance()
        return TrialBalancePublic(
            balanced=all(total == 0 for _, total, _ in totals),
            currencies=[
                CurrencyTotalPublic(currency=currency, total=total, postings=count)
                for currency, total, count in totals
            ],
        )

    @router.get("/v1/statements/{party_type}/{party_id}", response_model=None)
    async def statement(
        party_type: str,
        party_id: IdPath,
        principal: PrincipalDep,
        start: Annotated[str | None, Query(alias="from", description="RFC 3339, inclusive")] = None,
        end: Annotated[str | None, Query(alias="to", description="RFC 3339, exclusive")] = None,
        output: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
    ) -> Response:
        """The party's postings in ``[from, to)`` with opening and closing balances."""
        require_read_access(principal, _party_type(party_type), party_id)
        start_at, end_at = _instant("from", start), _instant("to", end)
        if start_at and end_at and end_at < start_at:
            raise ProblemError(422, "Invalid range", "to is before from", type_suffix="bad-range")
        found = await queries.statement(party_type, party_id, start_at, end_at)
        body = build_statement(party_type, party_id, start_at, end_at, found.opening, found.lines)
        if output == "json":
            return Response(body.model_dump_json(by_alias=True), media_type="application/json")
        return Response(_csv(body), media_type="text/csv; charset=utf-8")

    return router


def _csv(body: StatementPublic) -> str:
    """One line per posting; text cells that could start a formula are quoted, the integer
    columns (amount, balance_after, rate_bps) stay numbers (``shared/csv_cells.py``)."""
    columns = ["occurred_at", "currency", "sub_account", "amount", "balance_after", "kind"]
    columns += ["leg", "order_id", "event_id", "plan_id", "rate_bps"]
    rows = (line.model_dump(mode="json") for line in body.lines)
    return csv_text(columns, ([row[c] for c in columns] for row in rows))
