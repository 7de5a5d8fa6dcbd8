"""Payout runs through the API, on real PostgreSQL and Kafka, with the simulated bank."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.events import payouts_v1
from shared.events.envelope import from_kafka
from tests.support.infra import wait_until
from tests.support.kafka import read_topic
from tests.support.payouts import (
    ADMIN,
    RunningPayouts,
    order_delivered,
    order_posted,
    order_released,
    order_reversed,
    publish_ledger,
    running_payouts,
)


async def earn(service: RunningPayouts, order_id: str, **amounts: int) -> None:
    """An order posted, delivered long ago, and released by the ledger with these legs."""
    await publish_ledger(
        service.ledger_topic,
        [
            order_posted(order_id, **amounts),
            order_delivered(order_id, datetime.now(UTC) - timedelta(days=30)),
            order_released(order_id, **amounts),
        ],
    )

    async def ledger_release_folded() -> bool:
        response = await service.client.get(f"/v1/holds/{order_id}", headers=ADMIN)
        return response.status_code == 200 and response.json()["released_at"] is not None

    await wait_until(ledger_release_folded, timeout_s=60, interval_s=0.1)


async def payout_run(service: RunningPayouts) -> dict[str, Any]:
    response = await service.client.post("/v1/payout-runs", headers=ADMIN)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def paid_to(run: dict[str, Any]) -> dict[tuple[str, str], tuple[int, str]]:
    return {(p["party_type"], p["party_id"]): (p["amount"], p["status"]) for p in run["payouts"]}


async def test_a_run_pays_each_eligible_payee_all_of_its_balance_once() -> None:
    async with running_payouts() as service:
        await earn(service, "o-1", merchant=5_000, creator=1_500, agency=500, platform=700)
        first = await payout_run(service)
        second = await payout_run(service)
        creator_view = await service.client.get(
            "/v1/payouts", headers=service.read_token("creator", "c-1")
        )
        snooping = await service.client.get(
            "/v1/payouts?party_type=merchant&party_id=shop-1",
            headers=service.read_token("creator", "c-1"),
        )
        metrics = (await service.client.get("/metrics")).text
    records = await read_topic(service.payouts_topic, expected=4)

    # The agency (500 < 1,000 minimum) and the platform are not paid.
    assert paid_to(first) == {
        ("creator", "c-1"): (1_500, "paid"),
        ("merchant", "shop-1"): (5_000, "paid"),
    }
    assert second["payouts"] == []
    assert [p["amount"] for p in creator_view.json()["payouts"]] == [1_500]
    assert snooping.status_code == 403
    events = [payouts_v1.parse_envelope(from_kafka(r.key, r.value, r.headers)) for r in records]
    assert sorted(e.TYPE for e in events if e.TYPE.startswith("payout.")) == [
        "payout.created",
        "payout.created",
        "payout.paid",
        "payout.paid",
    ]
    assert 'payouts_total{outcome="paid"} 2.0' in metrics


async def test_a_failed_payout_returns_the_funds_so_the_next_run_pays_them_again() -> None:
    async with running_payouts(bank_failure_rate=1.0) as service:
        await earn(service, "o-1", merchant=900, creator=2_000)
        first = await payout_run(service)
        second = await payout_run(service)
        listed = await service.client.get(
            "/v1/payouts?party_type=creator&party_id=c-1", headers=ADMIN
        )
    records = await read_topic(service.payouts_topic, expected=4)

    assert paid_to(first) == {("creator", "c-1"): (2_000, "failed")}
    assert paid_to(second) == {("creator", "c-1"): (2_000, "failed")}
    assert first["payouts"][0]["failure_reason"]
    assert [p["status"] for p in listed.json()["payouts"]] == ["failed", "failed"]
    failed = [
        e
        for e in (payouts_v1.parse_envelope(from_kafka(r.key, r.value, r.headers)) for r in records)
        if isinstance(e, payouts_v1.PayoutFailed)
    ]
    assert [(e.party_id, e.amount) for e in failed] == [("c-1", 2_000), ("c-1", 2_000)]


async def test_a_clawback_after_release_nets_against_the_balance_and_blocks_a_payout() -> None:
    async with running_payouts() as service:
        await earn(service, "o-1", merchant=900, creator=1_200)
        await publish_ledger(service.ledger_topic, [order_reversed("o-1", "clawback", creator=300)])
        await earn(service, "o-2", merchant=900, creator=50)

        async def blocked() -> bool:
            # 1,200 - 300 + 50 = 950 < 1,000: the creator is not paid.
            run = await payout_run(service)
            return ("creator", "c-1") not in paid_to(run)

        await wait_until(blocked, timeout_s=30, interval_s=0.2)
        await earn(service, "o-3", merchant=900, creator=60)
        run = await payout_run(service)
    assert paid_to(run)[("creator", "c-1")] == (1_010, "paid")


async def test_a_payout_run_needs_the_admin_token() -> None:
    async with running_payouts() as service:
        reader = await service.client.post(
            "/v1/payout-runs", headers=service.read_token("creator", "c-1")
        )
        anonymous = await service.client.post("/v1/payout-runs")
    assert reader.status_code == 403
    assert anonymous.status_code == 401
