"""The ledger adapter of reconciliation: pages followed, the ledger's failures typed."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from services.payouts.adapters.ledger_client import LedgerHttpClient
from services.payouts.domain.reconciliation import Figures, PartyCurrency
from services.payouts.service.ports import LedgerUnavailableError


def party(party_type: str, party_id: str, *balances: tuple[str, int, int]) -> dict[str, Any]:
    return {
        "party_type": party_type,
        "party_id": party_id,
        "balances": [
            {"currency": c, "pending": p, "available": a, "paid_out": 0} for c, p, a in balances
        ],
    }


PAGES = {
    None: {"items": [party("creator", "c-1", ("GBP", 516, 7), ("IDR", 0, 90))], "next_cursor": "x"},
    "x": {"items": [party("platform", "UK", ("GBP", 351, 0))], "next_cursor": None},
}


def client(handler: Any) -> LedgerHttpClient:
    return LedgerHttpClient(
        "http://ledger.test/", "admin-token-for-tests", page_size=1,
        transport=httpx.MockTransport(handler),
    )  # fmt: skip


async def test_every_page_is_read_with_the_admin_token_and_becomes_figures() -> None:
    asked: list[tuple[str | None, str | None, str | None]] = []

    def ledger(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        asked.append((cursor, request.url.params.get("limit"), request.headers["authorization"]))
        assert request.url.path == "/v1/balances"
        return httpx.Response(200, json=PAGES[cursor])

    found = await client(ledger).all_balances()
    assert found == {
        PartyCurrency("creator", "c-1", "GBP"): Figures(516, 7),
        PartyCurrency("creator", "c-1", "IDR"): Figures(0, 90),
        PartyCurrency("platform", "UK", "GBP"): Figures(351, 0),
    }
    bearer = "Bearer admin-token-for-tests"
    assert asked == [(None, "1", bearer), ("x", "1", bearer)]


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(401, json={"detail": "The token is not recognised."}), "answered 401"),
        (httpx.Response(200, text="<html>proxy error</html>"), "unexpected body"),
        (httpx.Response(200, json={"items": [party("creator", "c", ("GBP", 1, 0))]}), "unexpected"),
    ],
)
async def test_a_refusal_or_a_body_that_is_not_the_ledgers_is_ledger_unavailable(
    response: httpx.Response, message: str
) -> None:
    with pytest.raises(LedgerUnavailableError, match=message):
        await client(lambda _: response).all_balances()


async def test_a_fractional_amount_is_refused_not_rounded() -> None:
    creator = party("creator", "c-1", ("GBP", 1, 0))
    creator["balances"][0]["pending"] = 5.5
    body = {"items": [creator], "next_cursor": None}
    with pytest.raises(LedgerUnavailableError, match="unexpected body"):
        await client(lambda _: httpx.Response(200, content=json.dumps(body))).all_balances()


async def test_a_ledger_that_does_not_answer_is_ledger_unavailable() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(LedgerUnavailableError, match="did not answer: ConnectError"):
        await client(down).all_balances()


async def test_a_cursor_that_comes_back_is_refused_instead_of_looping() -> None:
    page = {"items": [], "next_cursor": "same"}
    with pytest.raises(LedgerUnavailableError, match="repeated the cursor"):
        await client(lambda _: httpx.Response(200, json=page)).all_balances()
