"""``handle_webhooks`` on a fake unit of work: a group of webhooks is answered and recorded as
if each had come alone, in arrival order."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from services.orders.domain.errors import InvalidOrder, TransitionRejected
from services.orders.domain.facts import Delivered, Fact, Line, Placed, Refunded
from services.orders.domain.plans import Plan
from services.orders.domain.shop import Shop
from services.orders.service.errors import CurrencyMismatch, WebhookIdReused
from services.orders.service.handlers import handle_webhooks
from services.orders.service.messages import ReceivedWebhook, WebhookAnswer
from services.orders.service.ports import PriorDelivery
from services.orders.service.webhook_group import WebhookOutcome
from shared.events import orders_v1
from shared.events.envelope import from_kafka
from tests.support.fake_orders_uow import Committed, FakeUnitOfWork

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
SHOP = Shop("shop-1", "UK", "GBP", "whsec_x", None)
PLANS = (Plan("p-1", "shop-1", "shop", 500),)
TOPIC = "orders.v1.test"


def placed(order_id: str, currency: str = "GBP") -> Placed:
    return Placed(order_id, T0, currency, (Line("A", 2, 1500),), 399, "c-1")


def webhook(fact: Fact, webhook_id: str, body: str | None = None) -> ReceivedWebhook:
    digest = hashlib.sha256((body or repr(fact)).encode()).digest()
    plans = PLANS if isinstance(fact, Placed) else ()
    return ReceivedWebhook(SHOP, webhook_id, digest, fact, T0 + timedelta(minutes=1), plans)


def counter() -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"evt-{next(numbers)}"


async def handle(batch: list[ReceivedWebhook], uow: FakeUnitOfWork) -> list[WebhookOutcome]:
    return await handle_webhooks(batch, uow, topic=TOPIC, new_event_id=counter())


def published(db: Committed) -> list[tuple[str, str, str]]:
    """(key, type, ce_id) of every queued record, in queue order."""
    out = []
    for topic, record in db.outbox:
        assert topic == TOPIC
        envelope = from_kafka(record.key, record.value, record.headers)
        orders_v1.parse_envelope(envelope)
        out.append((envelope.key, envelope.type, envelope.id))
    return out


async def test_webhooks_for_different_orders_are_all_accepted_in_one_transaction() -> None:
    uow = FakeUnitOfWork()

    outcomes = await handle([webhook(placed(f"o-{n}"), f"w-{n}") for n in range(3)], uow)

    assert outcomes == [WebhookAnswer(f"evt-{n}", "accepted") for n in (1, 2, 3)]
    assert (uow.transactions, uow.commits) == (1, 1)
    assert published(uow.db) == [(f"o-{n}", "order.placed", f"evt-{n + 1}") for n in range(3)]
    assert uow.reads == [[("shop-1", "o-0"), ("shop-1", "o-1"), ("shop-1", "o-2")]]


async def test_two_facts_for_one_order_in_one_group_see_each_other_in_arrival_order() -> None:
    uow = FakeUnitOfWork()
    delivery = Delivered("o-1", T0 + timedelta(minutes=2))

    outcomes = await handle([webhook(delivery, "w-d"), webhook(placed("o-1"), "w-p")], uow)

    # The delivery came first: held, then taken by the placement under the id it was given.
    assert outcomes == [WebhookAnswer("evt-1", "held"), WebhookAnswer("evt-2", "accepted")]
    assert published(uow.db) == [
        ("o-1", "order.placed", "evt-2"),
        ("o-1", "order.delivered", "evt-1"),
    ]
    stream = uow.db.streams[("shop-1", "o-1")].events
    assert [e.seq for e in stream] == [1, 2, 3]
    assert uow.db.statuses[("shop-1", "o-1")] == "delivered"


async def test_a_repeat_in_the_same_group_is_a_duplicate_or_a_reused_id() -> None:
    uow = FakeUnitOfWork()
    first = webhook(placed("o-1"), "w-1", body="one")

    outcomes = await handle(
        [first, webhook(placed("o-1"), "w-1", body="one"), webhook(placed("o-2"), "w-1", "two")],
        uow,
    )

    assert outcomes[0] == WebhookAnswer("evt-1", "accepted")
    assert outcomes[1] == WebhookAnswer("evt-1", "duplicate")
    assert isinstance(outcomes[2], WebhookIdReused)
    assert published(uow.db) == [("o-1", "order.placed", "evt-1")]
    assert list(uow.db.deliveries) == [("shop-1", "w-1")]


async def test_rejected_webhooks_record_nothing_and_do_not_disturb_the_others() -> None:
    uow = FakeUnitOfWork()
    too_late = Placed("o-9", T0 + timedelta(hours=1), "GBP", (Line("A", 1, 10),))
    batch = [
        webhook(placed("o-1"), "w-1"),
        webhook(placed("o-2", currency="USD"), "w-2"),  # not the shop's currency
        webhook(placed("o-1"), "w-3"),  # placed twice
        webhook(Refunded("o-1", T0, "r-1", 10**9), "w-4"),  # above paid_total
        webhook(too_late, "w-5"),  # occurred over 5 minutes after it was received
        webhook(Refunded("o-1", T0, "r-2", 100), "w-6"),
    ]

    outcomes = await handle(batch, uow)

    assert outcomes[0] == WebhookAnswer("evt-1", "accepted")
    assert isinstance(outcomes[1], CurrencyMismatch)
    assert isinstance(outcomes[2], TransitionRejected)
    assert isinstance(outcomes[3], TransitionRejected)
    assert isinstance(outcomes[4], InvalidOrder)
    assert outcomes[5] == WebhookAnswer("evt-2", "accepted")
    assert published(uow.db) == [
        ("o-1", "order.placed", "evt-1"),
        ("o-1", "order.refunded", "evt-2"),
    ]
    assert set(uow.db.deliveries) == {("shop-1", "w-1"), ("shop-1", "w-6")}
    assert set(uow.db.streams) == {("shop-1", "o-1")}


async def test_a_webhook_id_delivered_before_is_answered_from_its_first_delivery() -> None:
    digest = webhook(placed("o-1"), "w-1").body_sha256
    db = Committed(deliveries={("shop-1", "w-1"): PriorDelivery(digest, "evt-old")})
    uow = FakeUnitOfWork(db)

    outcomes = await handle([webhook(placed("o-1"), "w-1")], uow)

    assert outcomes == [WebhookAnswer("evt-old", "duplicate")]
    assert (uow.commits, db.outbox) == (0, [])  # nothing to write


async def test_a_group_that_meets_a_concurrent_writer_is_decided_again() -> None:
    first = webhook(placed("o-1"), "w-1")
    # Another process committed w-1 while this group decided it.
    uow = FakeUnitOfWork(
        conflicts=1, sneak_in={("shop-1", "w-1"): PriorDelivery(first.body_sha256, "evt-x")}
    )

    outcomes = await handle([first, webhook(placed("o-2"), "w-2")], uow)

    assert outcomes[0] == WebhookAnswer("evt-x", "duplicate")
    assert isinstance(outcomes[1], WebhookAnswer) and outcomes[1].outcome == "accepted"
    assert (uow.transactions, uow.commits) == (2, 1)
    assert [key for key, _, _ in published(uow.db)] == ["o-2"]


async def test_a_failed_commit_fails_the_whole_group_and_records_nothing() -> None:
    uow = FakeUnitOfWork(fail_commit=ConnectionResetError("the database went away"))

    with pytest.raises(ConnectionResetError):
        await handle([webhook(placed("o-1"), "w-1"), webhook(placed("o-2"), "w-2")], uow)

    assert uow.db == Committed()
