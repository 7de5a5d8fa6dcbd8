"""The ledger's `GET /v1/balances` as reconciliation reads it: the payouts adapter, page by page,
against the real ledger API over a real journal, gets every party's balances exactly once and
exactly as the ledger's per-party endpoint shows them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from services.ledger.app import create_app
from services.ledger.settings import LedgerSettings
from services.payouts.adapters.ledger_client import LedgerHttpClient
from services.payouts.domain.reconciliation import Figures, PartyCurrency
from shared.settings import LOCAL_ADMIN_TOKEN
from tests.support.ledger_db import ledger_database
from tests.support.ledger_events import Sent, new_id, placed

ADMIN = {"Authorization": f"Bearer {LOCAL_ADMIN_TOKEN}"}


@pytest.fixture(scope="module")
async def ledger() -> AsyncIterator[FastAPI]:
    async with ledger_database() as db:
        orders = [
            placed(f"o-{n}", region=region, shop_id=f"shop-{n % 3}", creator_id=f"c-{n % 4}")
            for n, region in enumerate(["UK", "UK", "ID", "VN", "UK", "CN", "ID"])
        ]
        await db.fold(*(Sent(new_id(), order) for order in orders))
        app = create_app(LedgerSettings(database_url_override=db.url))
        try:
            yield app
        finally:
            await app.state.runtime.engine.dispose()


def http(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://ledger")


async def per_party_balances(app: FastAPI) -> dict[PartyCurrency, Figures]:
    """What the ledger's per-party endpoint says of every party the journal names."""
    parties = [("merchant", f"shop-{n}") for n in range(3)] + [
        ("creator", f"c-{n}") for n in range(4)
    ]
    parties += [("agency", "mcn-1")] + [
        (t, r) for t in ("platform", "tax") for r in ("UK", "ID", "VN", "CN")
    ]
    found = {}
    async with http(app) as client:
        for party_type, party_id in parties:
            response = await client.get(f"/v1/balances/{party_type}/{party_id}", headers=ADMIN)
            for b in response.json()["balances"]:
                found[PartyCurrency(party_type, party_id, b["currency"])] = Figures(
                    b["pending"], b["available"]
                )
    return found  # fmt: skip


@pytest.mark.parametrize("page_size", [1, 3, 1000])
async def test_every_party_is_listed_once_with_the_ledgers_own_figures(
    ledger: FastAPI, page_size: int
) -> None:
    client = LedgerHttpClient(
        "http://ledger", LOCAL_ADMIN_TOKEN, page_size=page_size,
        transport=httpx.ASGITransport(ledger),
    )  # fmt: skip
    listed = await client.all_balances()
    expected = await per_party_balances(ledger)
    assert listed == expected
    assert len(listed) > 10
    assert not any(account.party_type == "system" for account in listed)


async def test_pages_follow_each_other_without_overlap(ledger: FastAPI) -> None:
    seen: list[tuple[str, str]] = []
    cursor = None
    async with http(ledger) as client:
        for _ in range(100):
            params = {"limit": "4"} | ({"cursor": cursor} if cursor else {})
            page = (await client.get("/v1/balances", params=params, headers=ADMIN)).json()
            assert len(page["items"]) <= 4
            seen += [(item["party_type"], item["party_id"]) for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert seen == sorted(set(seen))


async def test_the_list_is_for_the_admin_only_and_refuses_a_forged_cursor(ledger: FastAPI) -> None:
    reader = ledger.state.token_authority.issue("merchant", "shop-0").token
    async with http(ledger) as client:
        anonymous = await client.get("/v1/balances")
        merchant = await client.get("/v1/balances", headers={"Authorization": f"Bearer {reader}"})
        forged = await client.get("/v1/balances", params={"cursor": "not-a-cursor"}, headers=ADMIN)
        too_many = await client.get("/v1/balances", params={"limit": "1001"}, headers=ADMIN)
    assert (anonymous.status_code, merchant.status_code) == (401, 403)
    assert forged.status_code == 422
    assert forged.json()["type"].endswith("/invalid-cursor")
    assert too_many.status_code == 422
