"""A bank that does not answer never makes a payout pay twice, on PostgreSQL: the payout stays
pending (`created`) with its funds out of available, is retried with the same payout id until the
bank answers, and the bank's own books show one payment. Only a refusal gives the funds back, once.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.payouts.adapters.db.balances_repository import add_to_available, get_balances
from services.payouts.adapters.db.payouts_repository import list_payouts
from services.payouts.adapters.db.tables import outbox, payouts
from services.payouts.adapters.simulated_bank import SimulatedBank
from services.payouts.domain.balances import Payee
from services.payouts.domain.payout_attempts import RetryPolicy
from services.payouts.domain.payouts import Payout
from services.payouts.service.payout_runs import PayoutRunner
from services.payouts.service.ports import PayoutInstruction, PayoutProvider, ProviderOutcome
from services.payouts.service.workers import payout_retries
from shared.db.engine import make_engine
from shared.events import payouts_v1
from shared.events.envelope import from_kafka
from tests.support.infra import wait_until
from tests.support.payouts import migrated_database, uow_factory

CREATOR = Payee("creator", "c-1", "GBP")
QUICK_RETRY = RetryPolicy(0.2, 1.0)


def runner(engine: AsyncEngine, provider: PayoutProvider, timeout_s: float = 5.0) -> PayoutRunner:
    return PayoutRunner(
        new_uow=uow_factory(engine),
        topic="unused",
        provider=provider,
        provider_timeout_s=timeout_s,
        retry=QUICK_RETRY,
    )


async def fund(engine: AsyncEngine, *payees: Payee, amount: int = 3_000) -> None:
    async with engine.begin() as conn:
        await add_to_available(
            conn, {p: amount for p in payees}, min_payouts={p: 1_000 for p in payees}
        )


async def available(engine: AsyncEngine, payee: Payee = CREATOR) -> int:
    async with engine.connect() as conn:
        (balance,) = await get_balances(conn, payee.party_type, payee.party_id)
    return balance.available


async def payouts_of(engine: AsyncEngine, payee: Payee = CREATOR) -> list[Payout]:
    async with engine.connect() as conn:
        return await list_payouts(conn, party_type=payee.party_type, party_id=payee.party_id)


async def queued_events(engine: AsyncEngine) -> list[payouts_v1.PayoutsEvent]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(outbox).order_by(outbox.c.id))).all()
    return [
        payouts_v1.parse_envelope(
            from_kafka(r.key, r.value, [(name, value.encode()) for name, value in r.headers])
        )
        for r in rows
    ]


async def test_a_bank_that_pays_then_times_out_pays_once_and_the_retry_settles_the_payout() -> None:
    async with migrated_database() as (_, engine):
        await fund(engine, CREATOR)
        silent_after_paying = SimulatedBank(timeout_after_pay_rate=1.0, engine=engine)

        run = await runner(engine, silent_after_paying).run(trigger="operator")

        assert run is not None
        (pending,) = run.payouts
        assert (pending.status, pending.attempts) == ("created", 1)
        assert pending.last_error is not None and "timed out" in pending.last_error
        assert pending.next_attempt_at is not None
        assert await available(engine) == 0  # not given back: the bank may have paid
        assert await silent_after_paying.paid_by_payee() == {("creator", "c-1", "GBP"): 3_000}

        # Another run while the payout waits for its retry: nothing new to pay for that money.
        again = await runner(engine, silent_after_paying).run(trigger="operator")
        assert again is not None and again.payouts == []

        # The bank answers again; the retry worker asks with the same payout id.
        answering = SimulatedBank(engine=engine)  # the same books, in the same database
        stop = asyncio.Event()
        worker = asyncio.create_task(
            payout_retries(stop, runner=runner(engine, answering), tick_s=0.05)
        )

        async def settled() -> bool:
            return [p.status for p in await payouts_of(engine)] == ["paid"]

        try:
            await wait_until(settled, timeout_s=15)
        finally:
            stop.set()
            await worker

        (paid,) = await payouts_of(engine)
        requests = await answering.requests()
        events = await queued_events(engine)
        balance_after = await available(engine)
        third = await runner(engine, answering).run(trigger="operator")
        paid_by_bank = await answering.paid_by_payee()
    assert (paid.payout_id, paid.status) == (pending.payout_id, "paid")
    assert paid_by_bank == {("creator", "c-1", "GBP"): 3_000}
    assert [(r.payout_id, r.status, r.amount, r.calls) for r in requests] == [
        (pending.payout_id, "paid", 3_000, paid.attempts)  # every call recorded on both sides
    ]
    assert [i.payout_id for i in answering.instructions] == [pending.payout_id]
    assert balance_after == 0
    assert [e.TYPE for e in events] == ["payout.created", "payout.paid"]
    assert third is not None and third.payouts == []


async def test_a_call_slower_than_the_timeout_leaves_the_payout_pending_and_books_nothing() -> None:
    async with migrated_database() as (_, engine):
        await fund(engine, CREATOR)
        slow = SimulatedBank(delay_ms=2_000, engine=engine)

        started = asyncio.get_running_loop().time()
        run = await runner(engine, slow, timeout_s=0.2).run(trigger="operator")
        took = asyncio.get_running_loop().time() - started

        assert run is not None
        (pending,) = run.payouts
        assert pending.status == "created"
        assert pending.last_error is not None and "TimeoutError" in pending.last_error
        assert took < 1.5  # the row lock is not held for the bank's two seconds
        assert await slow.statuses([pending.payout_id]) == {}
        assert [(r.status, r.calls) for r in await slow.requests()] == [(None, 1)]
        assert await available(engine) == 0
        assert [e.TYPE for e in await queued_events(engine)] == ["payout.created"]


class ProbedBank:
    """The simulated bank, slow, watching how many calls for one payout are under way at once."""

    def __init__(self, bank: SimulatedBank) -> None:
        self.bank = bank
        self.in_flight: Counter[str] = Counter()
        self.most_at_once = 0

    async def pay(self, instruction: PayoutInstruction) -> ProviderOutcome:
        self.in_flight[instruction.payout_id] += 1
        self.most_at_once = max(self.most_at_once, self.in_flight[instruction.payout_id])
        try:
            await asyncio.sleep(0.05)
            return await self.bank.pay(instruction)
        finally:
            self.in_flight[instruction.payout_id] -= 1


async def test_two_settlers_never_call_the_bank_at_once_for_a_payout_and_pay_it_once() -> None:
    creators = [Payee("creator", f"c-{n}", "GBP") for n in range(12)]
    async with migrated_database() as (url, engine):
        await fund(engine, *creators)
        unreachable = SimulatedBank(timeout_rate=1.0, engine=engine)
        run = await runner(engine, unreachable).run(trigger="operator")
        assert run is not None and {p.status for p in run.payouts} == {"created"}

        # Two replicas (own engines), each with its own bank client; the bank pays then
        # times out half of the time, so some payouts take several calls.
        other_engine = make_engine(url, pool_size=5)
        try:
            probe = ProbedBank(SimulatedBank(seed=1, timeout_after_pay_rate=0.5, engine=engine))
            settlers = [runner(engine, probe), runner(other_engine, probe)]

            async def all_settled() -> bool:
                await asyncio.gather(*(s.settle_due() for s in settlers))
                async with engine.connect() as conn:
                    statuses = (await conn.execute(select(payouts.c.status))).scalars().all()
                return set(statuses) == {"paid"}

            await wait_until(all_settled, timeout_s=60, interval_s=0.1)
        finally:
            await other_engine.dispose()
        events = await queued_events(engine)
        balances = [await available(engine, p) for p in creators]
        requests = await probe.bank.requests()
        paid = await probe.bank.paid_by_payee()
    assert probe.most_at_once == 1
    assert paid == {(p.party_type, p.party_id, p.currency): 3_000 for p in creators}
    assert len(requests) == 12 and all(r.status == "paid" for r in requests)
    assert sum(r.calls for r in requests) > 12  # some were retried (the bank fell silent)
    assert Counter(e.TYPE for e in events) == {"payout.created": 12, "payout.paid": 12}
    assert balances == [0] * 12


async def test_a_refusal_after_a_silent_call_gives_the_funds_back_exactly_once() -> None:
    async with migrated_database() as (url, engine):
        await fund(engine, CREATOR)
        run = await runner(engine, SimulatedBank(timeout_rate=1.0, engine=engine)).run(
            trigger="operator"
        )
        assert run is not None
        (pending,) = run.payouts
        assert await available(engine) == 0

        other_engine = make_engine(url, pool_size=5)
        try:
            refusing = SimulatedBank(1.0, engine=engine)
            settlers = [runner(engine, refusing), runner(other_engine, refusing)]

            async def failed() -> bool:
                await asyncio.gather(*(s.settle_due() for s in settlers))
                return [p.status for p in await payouts_of(engine)] == ["failed"]

            await wait_until(failed, timeout_s=15, interval_s=0.1)
            # More settling changes nothing.
            await asyncio.gather(*(s.settle_due() for s in settlers))
        finally:
            await other_engine.dispose()
        (refused,) = await payouts_of(engine)
        events = await queued_events(engine)
        balance = await available(engine)
        paid_by_bank = await refusing.paid_by_payee()
    assert (refused.payout_id, refused.status, refused.attempts) == (pending.payout_id, "failed", 2)
    assert refused.failure_reason == "simulated bank declined the transfer"
    assert balance == 3_000  # given back once
    assert [e.TYPE for e in events] == ["payout.created", "payout.failed"]
    assert paid_by_bank == {}


async def test_a_definite_refusal_on_the_first_call_gives_the_funds_back_once() -> None:
    async with migrated_database() as (_, engine):
        await fund(engine, CREATOR)
        bank = SimulatedBank(1.0, engine=engine)
        run = await runner(engine, bank).run(trigger="operator")
        settled_later = await runner(engine, bank).settle_due()
        balance = await available(engine)
        events = await queued_events(engine)
    assert run is not None and [(p.status, p.attempts) for p in run.payouts] == [("failed", 1)]
    assert settled_later == 0
    assert balance == 3_000
    assert [e.TYPE for e in events] == ["payout.created", "payout.failed"]
