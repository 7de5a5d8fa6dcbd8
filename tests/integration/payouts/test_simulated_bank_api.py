"""The service with a silent simulated bank, through the API, on PostgreSQL and Kafka: the payout
stays pending and is retried, and `/v1/simulated-bank/*` shows one payment and every call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.events import payouts_v1
from shared.events.envelope import from_kafka
from tests.support.infra import wait_until
from tests.support.kafka import read_topic
from tests.support.payouts import (
    ADMIN,
    order_delivered,
    order_posted,
    order_released,
    publish_ledger,
    running_payouts,
)


async def test_a_bank_that_pays_and_never_answers_pays_once_while_the_payout_is_retried() -> None:
    async with running_payouts(
        bank_timeout_after_pay_rate=1.0, payout_retry_s=0.1, payout_retry_max_s=0.2
    ) as service:
        await publish_ledger(
            service.ledger_topic,
            [
                order_posted("o-1", merchant=900, creator=2_000),
                order_delivered("o-1", datetime.now(UTC) - timedelta(days=30)),
                order_released("o-1", merchant=900, creator=2_000),
            ],
        )

        async def released() -> bool:
            response = await service.client.get("/v1/holds/o-1", headers=ADMIN)
            return response.status_code == 200 and response.json()["released_at"] is not None

        await wait_until(released, timeout_s=60, interval_s=0.1)
        run = await service.client.post("/v1/payout-runs", headers=ADMIN)
        assert run.status_code == 201, run.text
        (created,) = run.json()["payouts"]

        async def transfers() -> list[dict[str, Any]]:
            response = await service.client.get("/v1/simulated-bank/transfers", headers=ADMIN)
            assert response.status_code == 200, response.text
            found: list[dict[str, Any]] = response.json()["transfers"]
            return found

        async def retried_three_times() -> bool:
            return any(t["calls"] >= 3 for t in await transfers())

        await wait_until(retried_three_times, timeout_s=30, interval_s=0.1)
        second_run = await service.client.post("/v1/payout-runs", headers=ADMIN)
        (transfer,) = await transfers()
        payees = await service.client.get("/v1/simulated-bank/payees", headers=ADMIN)
        listed = await service.client.get("/v1/payouts", headers=ADMIN)
        first_page = await service.client.get("/v1/simulated-bank/transfers?limit=1", headers=ADMIN)
        as_creator = await service.client.get(
            "/v1/simulated-bank/transfers", headers=service.read_token("creator", "c-1")
        )
        metrics = (await service.client.get("/metrics")).text
    records = await read_topic(service.payouts_topic, expected=1)

    assert (created["status"], created["attempts"]) == ("created", 1)
    assert "timed out" in created["last_error"]
    assert second_run.json()["payouts"] == []  # the pending payout's money is not paid again
    assert transfer == {
        "payout_id": created["payout_id"],
        "party_type": "creator",
        "party_id": "c-1",
        "currency": "GBP",
        "amount": 2_000,
        "status": "paid",
        "calls": transfer["calls"],
    }
    assert payees.json() == {
        "payees": [{"party_type": "creator", "party_id": "c-1", "currency": "GBP", "paid": 2_000}]
    }
    (payout,) = listed.json()["payouts"]
    assert (payout["payout_id"], payout["status"]) == (created["payout_id"], "created")
    assert payout["attempts"] >= 3 and payout["next_attempt_at"] is not None
    assert first_page.json()["next_after"] == created["payout_id"]
    assert as_creator.status_code == 403
    assert 'payouts_provider_attempts_total{outcome="unknown"}' in metrics
    assert 'payouts_provider_attempts_total{outcome="paid"} 0.0' in metrics
    events = [payouts_v1.parse_envelope(from_kafka(r.key, r.value, r.headers)) for r in records]
    assert [e.TYPE for e in events] == ["payout.created"]  # never failed, never paid twice
