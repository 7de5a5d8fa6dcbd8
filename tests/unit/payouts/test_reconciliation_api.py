"""`GET /v1/reconciliation`: admin only, both figures of every difference, 502 when a side is
unreadable. The app runs without its workers; reconciliation reads fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from services.payouts.app import create_app
from services.payouts.domain.reconciliation import Figures, PartyCurrency, PayoutState
from services.payouts.service.ports import LedgerBalances, PayoutStatusLookup
from services.payouts.service.reconciliation import Reconciler
from services.payouts.settings import PayoutsSettings
from shared.settings import LOCAL_ADMIN_TOKEN
from tests.support.reconciliation import (
    FakeLedger,
    FakeProvider,
    FakeView,
    RecordedSleep,
    own_view,
)

ADMIN = {"Authorization": f"Bearer {LOCAL_ADMIN_TOKEN}"}
CREATOR = PartyCurrency("creator", "c-1", "GBP")
PLATFORM = PartyCurrency("platform", "UK", "GBP")


@pytest.fixture
def app() -> FastAPI:
    settings = PayoutsSettings(
        database_url_override="postgresql+asyncpg://nobody:x@127.0.0.1:1/none"
    )
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://payouts") as client:
        yield client


def reconcile_with(
    app: FastAPI,
    ledger: LedgerBalances,
    provider: PayoutStatusLookup,
    *,
    pending: dict[PartyCurrency, int] | None = None,
    available: dict[PartyCurrency, int] | None = None,
    payouts: Sequence[PayoutState] = (),
) -> None:
    app.state.reconciler = Reconciler(
        view=FakeView(own_view(pending, available, payouts)),
        ledger=ledger,
        provider=provider,
        payout_window=timedelta(days=30),
        metrics=app.state.reconciler.metrics,  # the app's own, exported on /metrics
        sleep=RecordedSleep(),
    )


async def test_agreement_is_two_empty_lists(app: FastAPI, client: httpx.AsyncClient) -> None:
    reconcile_with(
        app, FakeLedger({CREATOR: Figures(516, 0)}), FakeProvider(), pending={CREATOR: 516}
    )
    response = await client.get("/v1/reconciliation", headers=ADMIN)
    assert response.status_code == 200
    body = response.json()
    assert (body["agrees"], body["balances"], body["payouts"], body["payouts_checked"]) == (
        True, [], [], True,
    )  # fmt: skip
    assert body["checked_at"] == "2026-11-25T12:00:00Z"


async def test_each_difference_shows_both_figures(app: FastAPI, client: httpx.AsyncClient) -> None:
    reconcile_with(
        app,
        FakeLedger({CREATOR: Figures(515, 90), PLATFORM: Figures(351, 12_000)}),
        FakeProvider({"p-1": "paid"}),
        pending={CREATOR: 516, PLATFORM: 350},
        available={CREATOR: 90},
        payouts=[PayoutState("p-1", "creator", "c-1", "GBP", 1_500, "failed")],
    )
    body = (await client.get("/v1/reconciliation", headers=ADMIN)).json()
    assert body["agrees"] is False
    assert body["balances"] == [
        {
            "party_type": "creator",
            "party_id": "c-1",
            "currency": "GBP",
            "differs": ["pending"],
            "payouts": {"pending": 516, "available": 90},
            "ledger": {"pending": 515, "available": 90},
        },
        {
            "party_type": "platform",
            "party_id": "UK",
            "currency": "GBP",
            "differs": ["pending"],
            "payouts": {"pending": 350, "available": None},
            "ledger": {"pending": 351, "available": 12_000},
        },
    ]
    assert body["payouts"] == [
        {
            "payout_id": "p-1",
            "party_type": "creator",
            "party_id": "c-1",
            "currency": "GBP",
            "amount": 1_500,
            "status": "failed",
            "provider_status": "paid",
        }
    ]
    metrics = (await client.get("/metrics")).text
    assert 'settlement_reconciliation_differences{kind="balance"} 2.0' in metrics
    assert 'settlement_reconciliation_differences{kind="payout"} 1.0' in metrics
    assert 'settlement_reconciliation_runs_total{outcome="ok"} 1.0' in metrics


async def test_only_the_admin_may_reconcile(app: FastAPI, client: httpx.AsyncClient) -> None:
    reconcile_with(app, FakeLedger(), FakeProvider())
    reader = app.state.token_authority.issue("merchant", "shop-1").token
    anonymous = await client.get("/v1/reconciliation")
    merchant = await client.get("/v1/reconciliation", headers={"Authorization": f"Bearer {reader}"})
    assert (anonymous.status_code, merchant.status_code) == (401, 403)


async def test_an_unreachable_ledger_is_a_502_problem_naming_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    reconcile_with(app, FakeLedger(down=True), FakeProvider())
    response = await client.get("/v1/reconciliation", headers=ADMIN)
    assert response.status_code == 502
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/ledger-unavailable")
    assert "http://ledger.invalid did not answer" in problem["detail"]
    metrics = (await client.get("/metrics")).text
    assert 'settlement_reconciliation_runs_total{outcome="error"} 1.0' in metrics


async def test_a_provider_that_cannot_be_asked_is_a_502_problem(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    paid = PayoutState("p-1", "creator", "c-1", "GBP", 1_500, "paid")
    reconcile_with(app, FakeLedger(), FakeProvider(broken=True), payouts=[paid])
    response = await client.get("/v1/reconciliation", headers=ADMIN)
    assert response.status_code == 502
    assert response.json()["type"].endswith("/provider-unavailable")
