"""The ledger's read API over a real journal: balances, entries, trial balance, statements."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from services.ledger.app import create_app
from services.ledger.settings import LedgerSettings
from shared.auth import TokenAuthority
from shared.events.orders_v1 import OrderRefunded
from shared.settings import LOCAL_ADMIN_TOKEN
from tests.support.ledger_db import LedgerDb, ledger_database
from tests.support.ledger_events import T0, Sent, new_id, placed

ADMIN = {"Authorization": f"Bearer {LOCAL_ADMIN_TOKEN}"}


@pytest.fixture
async def seeded() -> AsyncIterator[tuple[LedgerDb, FastAPI]]:
    async with ledger_database() as db:
        await db.fold(Sent(new_id(), placed("o-1", at=T0)))
        await db.fold(Sent(new_id(), placed("o-2", at=T0 + timedelta(days=2))))
        refund = OrderRefunded(
            order_id="o-1",
            shop_id="shop-1",
            refund_id="r-1",
            amount=4299,
            occurred_at=T0 + timedelta(days=1),
            refunded_total=4299,
        )
        await db.fold(Sent(new_id(), refund))
        app = create_app(LedgerSettings(database_url_override=db.url))
        try:
            yield db, app
        finally:
            await app.state.runtime.engine.dispose()


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test")


def reader(app: FastAPI, party_type: str, party_id: str) -> dict[str, str]:
    authority: TokenAuthority = app.state.token_authority
    return {"Authorization": f"Bearer {authority.issue(party_type, party_id).token}"}  # type: ignore[arg-type]


async def test_balances_sum_postings_now_and_as_of_a_past_instant(
    seeded: tuple[LedgerDb, FastAPI],
) -> None:
    _, app = seeded
    async with client_for(app) as client:
        now = await client.get("/v1/balances/merchant/shop-1", headers=ADMIN)
        past = await client.get(
            "/v1/balances/merchant/shop-1",
            params={"as_of": (T0 + timedelta(hours=1)).isoformat()},
            headers=ADMIN,
        )
    assert now.status_code == 200
    assert now.json()["balances"] == [
        {"currency": "GBP", "pending": 3303, "available": 0, "paid_out": 0}
    ]
    assert past.json()["balances"][0]["pending"] == 3303  # o-1 placed, not yet refunded


async def test_a_read_token_reads_its_own_party_only(seeded: tuple[LedgerDb, FastAPI]) -> None:
    _, app = seeded
    creator = reader(app, "creator", "creator-x")
    async with client_for(app) as client:
        own = await client.get("/v1/balances/creator/creator-x", headers=creator)
        other = await client.get("/v1/balances/merchant/shop-1", headers=creator)
        platform = await client.get("/v1/balances/platform/UK", headers=creator)
        anonymous = await client.get("/v1/balances/creator/creator-x")
        trial = await client.get("/v1/trial-balance", headers=creator)
        entries = await client.get("/v1/orders/o-2/entries", headers=creator)
        not_party = await client.get(
            "/v1/orders/o-2/entries", headers=reader(app, "creator", "creator-y")
        )
        missing = await client.get(
            "/v1/orders/no-such-order/entries", headers=reader(app, "creator", "creator-y")
        )
    assert own.status_code == 200 and own.json()["balances"][0]["pending"] == 516
    assert [other.status_code, platform.status_code, trial.status_code] == [403, 403, 403]
    assert anonymous.status_code == 401
    assert entries.status_code == 200
    # The creator sees its own postings only, and not the order's totals or the agency's rate.
    (placement,) = entries.json()["entries"]
    assert [(p["account"], p["amount"]) for p in placement["postings"]] == [
        ("creator/creator-x/GBP/pending", 516)
    ]
    assert set(placement["details"]) == {"lines", "commission", "commission_shortfall"}
    # An order the caller is not a party to answers exactly like one that does not exist.
    assert not_party.status_code == missing.status_code == 404
    assert not_party.json() == {
        **missing.json(),
        "detail": "no order o-2",
        "instance": "/v1/orders/o-2/entries",
    }


async def test_bad_requests_are_problems(seeded: tuple[LedgerDb, FastAPI]) -> None:
    _, app = seeded
    async with client_for(app) as client:
        unknown = await client.get("/v1/balances/buyer/b-1", headers=ADMIN)
        bad_instant = await client.get(
            "/v1/balances/merchant/shop-1", params={"as_of": "yesterday"}, headers=ADMIN
        )
        no_order = await client.get("/v1/orders/nope/entries", headers=ADMIN)
    assert unknown.status_code == 422
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert unknown.json()["type"].endswith("unknown-party-type")
    assert bad_instant.status_code == 422 and no_order.status_code == 404


async def test_an_orders_entries_show_each_amount_with_its_provenance(
    seeded: tuple[LedgerDb, FastAPI],
) -> None:
    _, app = seeded
    async with client_for(app) as client:
        body = (await client.get("/v1/orders/o-1/entries", headers=ADMIN)).json()
    placed_entry, refund_entry = body["entries"]
    assert placed_entry["kind"] == "order_placed" and refund_entry["kind"] == "order_refund"
    assert sum(p["amount"] for p in placed_entry["postings"]) == 0
    fee = next(p for p in placed_entry["postings"] if p["leg"] == "platform_fee")
    assert fee == {
        "account": "platform/UK/GBP/pending",
        "amount": 351,
        "leg": "platform_fee",
        "plan_id": None,
        "rate_bps": 900,
    }
    assert refund_entry["details"]["refunded_after"] == 4299


async def test_the_trial_balance_is_zero_per_currency(seeded: tuple[LedgerDb, FastAPI]) -> None:
    _, app = seeded
    async with client_for(app) as client:
        body = (await client.get("/v1/trial-balance", headers=ADMIN)).json()
    assert body["balanced"] is True
    assert [(c["currency"], c["total"]) for c in body["currencies"]] == [("GBP", 0)]


async def test_a_statement_lists_lines_with_running_balances_as_json_and_csv(
    seeded: tuple[LedgerDb, FastAPI],
) -> None:
    _, app = seeded
    window = {
        "from": (T0 + timedelta(hours=1)).isoformat(),
        "to": (T0 + timedelta(days=3)).isoformat(),
    }
    async with client_for(app) as client:
        body = (
            await client.get("/v1/statements/merchant/shop-1", params=window, headers=ADMIN)
        ).json()
        as_csv = await client.get(
            "/v1/statements/merchant/shop-1", params={**window, "format": "csv"}, headers=ADMIN
        )
    assert body["opening"] == [{"currency": "GBP", "pending": 3303, "available": 0, "paid_out": 0}]
    assert [(line["amount"], line["balance_after"]) for line in body["lines"]] == [
        (-3303, 0),  # o-1 fully refunded
        (3303, 3303),  # o-2 placed
    ]
    assert body["closing"][0]["pending"] == 3303
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [row["amount"] for row in rows] == ["-3303", "3303"]


async def test_statement_csv_quotes_text_that_could_start_a_formula_and_keeps_amounts_numbers() -> (
    None
):
    async with ledger_database() as db:
        await db.fold(Sent(new_id(), placed("=HYPERLINK(x)", at=T0)))
        await db.fold(Sent(new_id(), placed("-2+3", at=T0 + timedelta(hours=1))))
        refund = OrderRefunded(
            order_id="-2+3",
            shop_id="shop-1",
            refund_id="r-1",
            amount=4299,
            occurred_at=T0 + timedelta(hours=2),
            refunded_total=4299,
        )
        await db.fold(Sent(new_id(), refund))
        app = create_app(LedgerSettings(database_url_override=db.url))
        try:
            async with client_for(app) as client:
                as_csv = await client.get(
                    "/v1/statements/creator/creator-x",
                    params={"format": "csv"},
                    headers=reader(app, "creator", "creator-x"),
                )
        finally:
            await app.state.runtime.engine.dispose()
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [row["order_id"] for row in rows] == ["'=HYPERLINK(x)", "'-2+3", "'-2+3"]
    assert [(row["amount"], row["balance_after"]) for row in rows] == [
        ("516", "516"),
        ("516", "1032"),
        ("-516", "516"),
    ]
    assert all(row["rate_bps"] in ("", "2000") for row in rows)
