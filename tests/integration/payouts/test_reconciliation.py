"""Reconciliation on the three real services (subprocesses, PostgreSQL, Kafka): after settled
business they agree; a figure written behind the payouts service's back shows up with both
figures, and so does a payout whose row no longer says what the bank did."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from settlement_cli.client import SettlementClient
from tests.support.e2e import eventually
from tests.support.payouts import ADMIN, running_payouts
from tests.support.service_stack import Stack, running_stack
from tests.support.settled_stack import Settled, ledger_figures, payouts_database, settle

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Scene:
    stack: Stack
    settled: Settled


@pytest.fixture(scope="module")
async def scene(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Scene]:
    env = {"PAYOUTS_RECONCILIATION_INTERVAL_S": "2"}  # the worker reconciles every 2 s too
    async with running_stack(tmp_path_factory.mktemp("services"), env) as stack:
        try:
            yield Scene(stack, await asyncio.to_thread(settle, stack))
        except Exception as error:
            raise AssertionError(f"{error}\n{stack.log_tails()}") from error


def reconciliation(stack: Stack) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {stack.endpoints.admin_token}"}
    response = httpx.get(
        f"{stack.endpoints.payouts}/v1/reconciliation", headers=headers, timeout=60
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def gauge_settles_at(stack: Stack, kind: str, value: float) -> None:
    """The worker's reconciliations keep setting the gauge; it must settle at `value`."""
    sample = f'settlement_reconciliation_differences{{kind="{kind}"}}'
    eventually(f"{sample} == {value}", lambda: metric(stack, sample) == value, timeout_s=30)


def metric(stack: Stack, sample: str) -> float:
    for line in httpx.get(f"{stack.endpoints.payouts}/metrics", timeout=10).text.splitlines():
        if line.startswith(sample + " "):
            return float(line.split()[1])
    raise AssertionError(f"{sample} is not on the payouts service's /metrics")


async def test_after_settled_business_the_payouts_service_and_the_ledger_agree(
    scene: Scene,
) -> None:
    body = await asyncio.to_thread(reconciliation, scene.stack)
    assert (body["agrees"], body["balances"], body["payouts"]) == (True, [], [])
    assert body["payouts_checked"] is True
    assert metric(scene.stack, 'settlement_reconciliation_differences{kind="balance"}') == 0
    assert metric(scene.stack, 'settlement_reconciliation_differences{kind="payout"}') == 0


async def test_balances_written_behind_the_services_back_show_both_figures(scene: Scene) -> None:
    stack, settled = scene.stack, scene.settled
    ghost = f"ghost-{uuid.uuid4().hex[:8]}"
    hold_id = f"forged-{uuid.uuid4().hex[:8]}"
    forged_leg = f'[{{"party_type": "agency", "party_id": "{settled.agency_id}", "amount": 250}}]'
    async with payouts_database(stack) as engine:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE payee_balances SET available = available + 7 "
                    "WHERE party_type = 'creator' AND party_id = :id AND currency = 'GBP'"
                ),
                {"id": settled.creator_id},
            )
            await conn.execute(
                text(
                    "INSERT INTO payee_balances (party_type, party_id, currency, available, "
                    "min_payout) VALUES ('creator', :id, 'GBP', 123, 1000)"
                ),
                {"id": ghost},
            )
            await conn.execute(
                text(
                    "INSERT INTO holds (order_id, shop_id, region, currency, "
                    "after_sales_window_days, release_rule, min_payout, status, amounts) "
                    "VALUES (:order, :shop, 'UK', 'GBP', 14, 'next_day', 1000, "
                    "'awaiting_delivery', CAST(:legs AS jsonb))"
                ),
                {"order": hold_id, "shop": settled.shop_id, "legs": forged_leg},
            )
        try:
            with SettlementClient(stack.endpoints) as client:
                creator = ledger_figures(client, "creator", settled.creator_id)
                agency = ledger_figures(client, "agency", settled.agency_id)
            body = await asyncio.to_thread(reconciliation, stack)
            await asyncio.to_thread(gauge_settles_at, stack, "balance", 3)
        finally:
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "UPDATE payee_balances SET available = available - 7 "
                        "WHERE party_type = 'creator' AND party_id = :id AND currency = 'GBP'"
                    ),
                    {"id": settled.creator_id},
                )
                await conn.execute(
                    text("DELETE FROM payee_balances WHERE party_id = :id"), {"id": ghost}
                )
                await conn.execute(text("DELETE FROM holds WHERE order_id = :id"), {"id": hold_id})

    found = {(b["party_type"], b["party_id"]): b for b in body["balances"]}
    assert set(found) == {
        ("creator", settled.creator_id),
        ("creator", ghost),
        ("agency", settled.agency_id),
    }
    # The creator earned 516 on each released order, lost one to the clawback: 516 available.
    assert creator == {"pending": 516, "available": 516}
    assert found[("creator", settled.creator_id)] == {
        "party_type": "creator",
        "party_id": settled.creator_id,
        "currency": "GBP",
        "differs": ["available"],
        "payouts": {"pending": 516, "available": 516 + 7},
        "ledger": creator,
    }
    assert found[("creator", ghost)]["payouts"] == {"pending": 0, "available": 123}
    assert found[("creator", ghost)]["ledger"] == {"pending": 0, "available": 0}
    assert agency == {"pending": 129, "available": 129}
    assert found[("agency", settled.agency_id)]["differs"] == ["pending"]
    assert found[("agency", settled.agency_id)]["payouts"] == {
        "pending": 129 + 250,
        "available": 129,
    }
    assert found[("agency", settled.agency_id)]["ledger"] == agency
    # Undone: the services agree again.
    assert (await asyncio.to_thread(reconciliation, stack))["balances"] == []


async def test_a_payout_whose_row_contradicts_the_bank_is_listed(scene: Scene) -> None:
    stack, settled = scene.stack, scene.settled
    unknown_id = f"never-sent-{uuid.uuid4().hex[:8]}"
    async with payouts_database(stack) as engine:
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE payouts SET status = 'failed' WHERE payout_id = :id"),
                {"id": settled.merchant_payout_id},
            )
            await conn.execute(
                text(
                    "INSERT INTO payouts (payout_id, run_id, party_type, party_id, currency, "
                    "amount, status) VALUES (:id, 'forged', 'merchant', :shop, 'GBP', 55, 'paid')"
                ),
                {"id": unknown_id, "shop": settled.shop_id},
            )
        try:
            body = await asyncio.to_thread(reconciliation, stack)
            await asyncio.to_thread(gauge_settles_at, stack, "payout", 2)
        finally:
            async with engine.begin() as conn:
                await conn.execute(
                    text("UPDATE payouts SET status = 'paid' WHERE payout_id = :id"),
                    {"id": settled.merchant_payout_id},
                )
                await conn.execute(
                    text("DELETE FROM payouts WHERE payout_id = :id"), {"id": unknown_id}
                )

    statuses = {p["payout_id"]: (p["status"], p["provider_status"]) for p in body["payouts"]}
    assert statuses == {
        settled.merchant_payout_id: ("failed", "paid"),
        unknown_id: ("paid", "unknown"),
    }
    assert body["balances"] == []
    assert (await asyncio.to_thread(reconciliation, stack))["agrees"] is True


def test_the_periodic_reconciliation_runs_on_its_own(scene: Scene) -> None:
    sample = 'settlement_reconciliation_runs_total{outcome="ok"}'
    before = metric(scene.stack, sample)
    eventually("a periodic reconciliation", lambda: metric(scene.stack, sample) > before, 30)
    gauge_settles_at(scene.stack, "balance", 0)
    gauge_settles_at(scene.stack, "payout", 0)


async def test_an_unreachable_ledger_is_a_502_problem_and_an_error_run() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    async with running_payouts(ledger_url=dead) as service:
        response = await service.client.get("/v1/reconciliation", headers=ADMIN)
        metrics = (await service.client.get("/metrics")).text
    assert response.status_code == 502
    problem = response.json()
    assert problem["type"].endswith("/ledger-unavailable")
    assert f"the ledger at {dead}/v1/balances did not answer" in problem["detail"]
    assert 'settlement_reconciliation_runs_total{outcome="error"} 1.0' in metrics
