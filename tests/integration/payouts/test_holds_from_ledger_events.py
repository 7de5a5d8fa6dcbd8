"""The payouts service folding ledger.v1 from the real broker into holds and releases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from shared.events import payouts_v1
from shared.events.envelope import from_kafka
from shared.kafka.consumer import ConsumedRecord
from shared.kafka.topics import dlq_topic
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


def released_events(records: list[ConsumedRecord]) -> list[payouts_v1.SettlementReleased]:
    events = [payouts_v1.parse_envelope(from_kafka(r.key, r.value, r.headers)) for r in records]
    return [e for e in events if isinstance(e, payouts_v1.SettlementReleased)]


async def wait_for_status(service: RunningPayouts, order_id: str, status: str) -> None:
    async def reached() -> bool:
        response = await service.client.get(f"/v1/holds/{order_id}", headers=ADMIN)
        return response.status_code == 200 and response.json()["status"] == status

    await wait_until(reached, timeout_s=60, interval_s=0.1)


def amounts_of(hold: dict[str, object]) -> dict[str, int]:
    listed = hold["amounts"]
    assert isinstance(listed, list)
    return {a["party_type"]: a["amount"] for a in listed}


async def test_a_delivery_reported_long_after_it_happened_releases_at_the_next_tick() -> None:
    delivered_long_ago = datetime.now(UTC) - timedelta(days=30)
    delivered_now = datetime.now(UTC)
    async with running_payouts() as service:
        await publish_ledger(
            service.ledger_topic,
            [
                order_posted("late", merchant=3303, creator=516, agency=129, platform=351),
                order_posted("fresh", merchant=900, creator=100),
                order_delivered("late", delivered_long_ago),
                order_delivered("fresh", delivered_now),
            ],
        )
        await wait_for_status(service, "late", "released")
        await wait_for_status(service, "fresh", "holding")
        fresh = await service.hold("fresh")
        late = await service.hold("late")
    records = await read_topic(service.payouts_topic, expected=1)

    (released,) = released_events(records)
    assert released.order_id == "late"
    assert {leg.party_type: leg.amount for leg in released.legs} == {
        "merchant": 3303,
        "creator": 516,
        "agency": 129,
        "platform": 351,
    }
    assert datetime.fromisoformat(late["release_at"]) == delivered_long_ago + timedelta(days=15)
    assert datetime.fromisoformat(fresh["release_at"]) == delivered_now + timedelta(days=15)


async def test_a_refund_folded_before_release_shrinks_what_is_released() -> None:
    async with running_payouts() as service:
        await publish_ledger(
            service.ledger_topic,
            [
                order_posted("o-1", merchant=3303, creator=516, agency=129, platform=351),
                order_reversed(
                    "o-1", "pending", merchant=1652, creator=258, agency=65, platform=175
                ),
                order_delivered("o-1", datetime.now(UTC) - timedelta(days=20)),
            ],
        )
        await wait_for_status(service, "o-1", "released")
        records = await read_topic(service.payouts_topic, expected=1)
        (released,) = released_events(records)
        assert {leg.party_type: leg.amount for leg in released.legs} == {
            "merchant": 1651,
            "creator": 258,
            "agency": 64,
            "platform": 176,
        }

        # The ledger's own release is smaller still (a second refund won the race there).
        await publish_ledger(
            service.ledger_topic,
            [order_released("o-1", merchant=1500, creator=230, agency=60, platform=160)],
        )

        async def adopted_ledger_release() -> bool:
            return amounts_of(await service.hold("o-1"))["merchant"] == 1500

        await wait_until(adopted_ledger_release, timeout_s=30, interval_s=0.1)
        hold = await service.hold("o-1")
    assert hold["status"] == "released"
    assert amounts_of(hold) == {"merchant": 1500, "creator": 230, "agency": 60, "platform": 160}


async def test_a_fully_refunded_order_is_closed_and_never_released() -> None:
    async with running_payouts() as service:
        await publish_ledger(
            service.ledger_topic,
            [
                order_posted("refunded", merchant=900, creator=100),
                order_reversed("refunded", "pending", merchant=900, creator=100),
                order_delivered("refunded", datetime.now(UTC) - timedelta(days=20)),
                order_posted("control", merchant=900, creator=100),
                order_delivered("control", datetime.now(UTC) - timedelta(days=20)),
            ],
        )
        await wait_for_status(service, "control", "released")
        hold = await service.hold("refunded")
    records = await read_topic(service.payouts_topic, expected=1)
    assert hold["status"] == "closed"
    assert [e.order_id for e in released_events(records)] == ["control"]


async def test_a_poison_record_goes_to_the_dead_letter_topic_and_the_rest_is_applied() -> None:
    async with running_payouts() as service:
        await publish_ledger(
            service.ledger_topic,
            [
                order_delivered("never-posted", datetime.now(UTC)),
                order_posted("after-poison", merchant=900, creator=100),
            ],
        )

        async def applied() -> bool:
            response = await service.client.get("/v1/holds/after-poison", headers=ADMIN)
            return response.status_code == 200

        await wait_until(applied, timeout_s=60, interval_s=0.1)
        dead = await read_topic(dlq_topic(service.ledger_topic), expected=1)
        metrics = (await service.client.get("/metrics")).text
    assert [r.key for r in dead] == [b"never-posted"]
    assert b"no hold for order never-posted" in dict(dead[0].headers)["dlq_error"]
    topic = service.ledger_topic
    assert f'kafka_consumer_dead_letters_total{{topic="{topic}"}} 1.0' in metrics
    assert f'kafka_consumer_records_total{{topic="{topic}"}}' in metrics
    assert "kafka_consumer_lag_records{" in metrics


async def test_a_hold_is_visible_to_its_parties_and_to_no_one_else() -> None:
    async with running_payouts() as service:
        await publish_ledger(
            service.ledger_topic, [order_posted("o-2", merchant=900, creator=100, platform=50)]
        )
        await wait_for_status(service, "o-2", "awaiting_delivery")
        creator = await service.client.get(
            "/v1/holds/o-2", headers=service.read_token("creator", "c-1")
        )
        merchant = await service.client.get(
            "/v1/holds/o-2", headers=service.read_token("merchant", "shop-1")
        )
        admin = await service.client.get("/v1/holds/o-2", headers=ADMIN)
        stranger = await service.client.get(
            "/v1/holds/o-2", headers=service.read_token("creator", "someone-else")
        )
        stranger_missing = await service.client.get(
            "/v1/holds/o-404", headers=service.read_token("creator", "someone-else")
        )
        anonymous = await service.client.get("/v1/holds/o-2")
        missing = await service.client.get("/v1/holds/no-such-order", headers=ADMIN)
    assert creator.status_code == 200
    assert creator.json()["amounts"] == [
        {"party_type": "creator", "party_id": "c-1", "amount": 100}
    ]
    # The order's merchant, like the admin, sees every party's amount.
    assert merchant.status_code == 200 and merchant.json() == admin.json()
    assert {a["party_type"] for a in merchant.json()["amounts"]} == {
        "merchant",
        "creator",
        "platform",
    }
    # Another party's order answers exactly like a missing one, apart from the id.
    assert stranger.status_code == stranger_missing.status_code == 404
    assert json.loads(stranger.text.replace("o-2", "o-404")) == stranger_missing.json()
    assert anonymous.status_code == 401
    assert missing.status_code == 404


async def test_a_ledger_event_delivered_twice_is_applied_once() -> None:
    refund = order_reversed("o-3", "pending", merchant=100, creator=10)
    released = order_released("o-3", merchant=800, creator=1_200)
    async with running_payouts() as service:
        await publish_ledger(
            service.ledger_topic,
            [order_posted("o-3", merchant=900, creator=1_210), refund, refund],
            event_ids=["posted", "refund-1", "refund-1"],
        )
        await publish_ledger(service.ledger_topic, [refund, released], ["refund-1", "released"])
        await publish_ledger(service.ledger_topic, [released], ["released"])  # a later batch

        async def ledger_release_folded() -> bool:
            hold = await service.hold_if_known("o-3")
            return hold is not None and hold["released_at"] is not None

        await wait_until(ledger_release_folded, timeout_s=60, interval_s=0.1)
        run = await service.client.post("/v1/payout-runs", headers=ADMIN)
    assert [(p["party_type"], p["amount"]) for p in run.json()["payouts"]] == [("creator", 1_200)]
