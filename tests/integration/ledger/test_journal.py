"""The journal on real PostgreSQL: folding events into balanced, append-only entries."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from services.ledger.adapters.db.read_repository import order_entries, trial_balance
from services.ledger.adapters.db.tables import journal_entries, outbox
from shared.events.orders_v1 import OrderCancelled, OrderRefunded
from shared.events.payouts_v1 import PayoutCreated, PayoutFailed, SettlementReleased
from tests.support.ledger_db import PAYOUTS, ledger_database
from tests.support.ledger_events import T0, Sent, new_id, placed

WORKED = {  # DOMAIN.md worked example, UK
    ("merchant", "shop-1"): 3303,
    ("creator", "creator-x"): 516,
    ("agency", "mcn-1"): 129,
    ("platform", "UK"): 351,
}


def refund(order_id: str, amount: int, total: int, n: int = 1) -> Sent:
    return Sent(
        new_id(),
        OrderRefunded(
            order_id=order_id,
            shop_id="shop-1",
            refund_id=f"{order_id}-r{n}",
            amount=amount,
            occurred_at=T0,
            refunded_total=total,
        ),
    )


def release(order_id: str) -> Sent:
    leg = {"party_type": "merchant", "party_id": "shop-1", "amount": 1}
    return Sent(
        new_id(),
        SettlementReleased.model_validate(
            {
                "order_id": order_id,
                "shop_id": "shop-1",
                "currency": "GBP",
                "released_at": "2026-11-20T00:00:00Z",
                "legs": [leg],
            }
        ),
    )


def payout(kind: type[PayoutCreated] | type[PayoutFailed], payout_id: str, amount: int) -> Sent:
    fields: dict[str, object] = {
        "payout_id": payout_id,
        "run_id": "run-1",
        "party_type": "creator",
        "party_id": "creator-x",
        "currency": "GBP",
        "amount": amount,
    }
    if kind is PayoutCreated:
        return Sent(new_id(), PayoutCreated.model_validate({**fields, "created_at": T0}))
    failed = {**fields, "failed_at": T0, "reason": "bank said no"}
    return Sent(new_id(), PayoutFailed.model_validate(failed))


async def test_a_placed_order_posts_each_party_pending_and_publishes_the_split() -> None:
    async with ledger_database() as db:
        await db.fold(Sent(new_id(), placed("o-1")))
        for (party_type, party_id), amount in WORKED.items():
            assert await db.balances(party_type, party_id) == {("GBP", "pending"): amount}
        async with db.engine.connect() as conn:
            assert await trial_balance(conn) == [("GBP", 0, 5)]
            ((entry, lines),) = await order_entries(conn, "o-1")
            published = (await conn.execute(select(outbox.c.value))).scalars().all()
        assert entry.kind == "order_placed" and entry.rule_version.startswith("split-")
        creator_line = next(line for line in lines if line.leg == "creator_net")
        assert creator_line.plan_id is None  # two plans paid this commission: see entry details
        assert {line["plan_id"] for line in entry.details["lines"]} == {"plan-t", "plan-s"}
        assert next(line for line in lines if line.leg == "agency_share").rate_bps == 2000
        assert len(published) == 1 and b'"paid_total":4299' in published[0]


async def test_an_event_delivered_twice_is_folded_once() -> None:
    async with ledger_database() as db:
        event = Sent(new_id(), placed("o-1"))
        await db.fold(event)
        await db.fold(event, event)
        async with db.engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(journal_entries)) == 1
            assert await conn.scalar(select(func.count()).select_from(outbox)) == 1
        assert await db.balances("merchant", "shop-1") == {("GBP", "pending"): 3303}


# With no placement cache, every later event of an order re-reads its placement from the
# database: the answers are the same.
@pytest.mark.parametrize("placed_cache_orders", [10_000, 0])
async def test_refund_release_clawback_and_payouts_move_the_right_balances(
    placed_cache_orders: int,
) -> None:
    async with ledger_database(placed_cache_orders) as db:
        await db.fold(Sent(new_id(), placed("o-1")), refund("o-1", 2150, 2150))
        # Half refunded before release: every leg pending is roughly halved.
        assert await db.balances("creator", "creator-x") == {("GBP", "pending"): 258}
        await db.fold(release("o-1"), topic=PAYOUTS)
        await db.fold(release("o-1"), topic=PAYOUTS)  # a second release moves nothing
        assert await db.balances("creator", "creator-x") == {
            ("GBP", "pending"): 0,
            ("GBP", "available"): 258,
        }
        await db.fold(refund("o-1", 2149, 4299, n=2))  # after release: claw back available
        assert await db.balances("creator", "creator-x") == {
            ("GBP", "pending"): 0,
            ("GBP", "available"): 0,
        }
        assert await db.balances("merchant", "shop-1") == {
            ("GBP", "pending"): 0,
            ("GBP", "available"): 0,
        }
        await db.fold(Sent(new_id(), placed("o-2")))
        await db.fold(release("o-2"), topic=PAYOUTS)
        await db.fold(payout(PayoutCreated, "p-1", 516), topic=PAYOUTS)
        assert (await db.balances("creator", "creator-x"))[("GBP", "paid_out")] == 516
        await db.fold(payout(PayoutFailed, "p-1", 516), topic=PAYOUTS)
        creator = await db.balances("creator", "creator-x")
        assert creator[("GBP", "available")] == 516 and creator[("GBP", "paid_out")] == 0
        async with db.engine.connect() as conn:
            assert [total for _, total, _ in await trial_balance(conn)] == [0]


async def test_a_refund_after_cancellation_moves_no_money() -> None:
    async with ledger_database() as db:
        await db.fold(
            Sent(new_id(), placed("o-1")),
            Sent(new_id(), OrderCancelled(order_id="o-1", shop_id="shop-1", occurred_at=T0)),
        )
        before = await db.balances("merchant", "shop-1")
        await db.fold(refund("o-1", 100, 100))
        assert before == await db.balances("merchant", "shop-1") == {("GBP", "pending"): 0}
        async with db.engine.connect() as conn:
            kinds = [entry.kind for entry, _ in await order_entries(conn, "o-1")]
        assert kinds == ["order_placed", "order_cancel"]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE postings SET amount = amount + 1",
        "DELETE FROM postings",
        "TRUNCATE postings CASCADE",
        "UPDATE journal_entries SET kind = 'edited'",
        "DELETE FROM journal_entries",
        "TRUNCATE journal_entries CASCADE",
        "UPDATE accounts SET party_id = 'someone-else'",
        "DELETE FROM accounts",
    ],
)
async def test_the_database_refuses_to_change_the_journal(statement: str) -> None:
    async with ledger_database() as db:
        await db.fold(Sent(new_id(), placed("o-1")))
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.engine.begin() as conn:
                await conn.execute(text(statement))


async def test_the_database_refuses_an_unbalanced_entry() -> None:
    async with ledger_database() as db:
        await db.fold(Sent(new_id(), placed("o-1")))
        async with db.engine.connect() as conn:
            entry_id, account = (
                await conn.execute(text("SELECT entry_id, account FROM postings LIMIT 1"))
            ).one()
        insert_entry = (
            "INSERT INTO journal_entries (id, event_id, kind, currency, occurred_at, "
            "rule_version, details) VALUES (gen_random_uuid(), 'e-x', 'manual', 'GBP', now(), "
            "'v', '{}')"
        )
        with pytest.raises(DBAPIError, match="does not balance"):
            async with db.engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO postings (entry_id, line_no, account, currency, amount, "
                        "leg, occurred_at) VALUES (:e, 99, :a, 'GBP', 1, 'manual', now())"
                    ),
                    {"e": entry_id, "a": account},
                )
        with pytest.raises(DBAPIError, match="no balanced postings at commit"):
            async with db.engine.begin() as conn:
                await conn.execute(text(insert_entry))
