"""Payout runs racing each other, and the daily schedule running once per day, on PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, time

from sqlalchemy import func, select

from services.payouts.adapters.db.balances_repository import add_to_available, get_balances
from services.payouts.adapters.db.payouts_repository import list_payouts
from services.payouts.adapters.db.tables import payout_runs, payouts
from services.payouts.adapters.simulated_bank import SimulatedBank
from services.payouts.domain.balances import Payee
from services.payouts.service.payout_runs import PayoutRunner
from services.payouts.service.ports import PayoutInstruction, ProviderOutcome
from services.payouts.service.workers import daily_payout_schedule
from tests.support.infra import wait_until
from tests.support.payouts import migrated_database, uow_factory

CREATORS = [Payee("creator", f"c-{n}", "GBP") for n in range(20)]


async def test_concurrent_runs_never_pay_the_same_money_twice() -> None:
    async with migrated_database() as (_, engine):
        async with engine.begin() as conn:
            await add_to_available(
                conn,
                {payee: 5_000 for payee in CREATORS},
                min_payouts={payee: 1_000 for payee in CREATORS},
            )
        bank = SimulatedBank()
        runner = PayoutRunner(new_uow=uow_factory(engine), topic="unused", provider=bank)

        runs = await asyncio.gather(*(runner.run(trigger="operator") for _ in range(4)))

        async with engine.connect() as conn:
            paid = await conn.scalar(select(func.sum(payouts.c.amount)))
            left = [
                b.available
                for p in CREATORS
                for b in await get_balances(conn, p.party_type, p.party_id)
            ]
    made = [p for run in runs if run is not None for p in run.payouts]
    assert sorted(p.party_id for p in made) == sorted(p.party_id for p in CREATORS)
    assert paid == 20 * 5_000
    assert len(bank.instructions) == 20
    assert left == [0] * 20


async def test_the_daily_schedule_runs_once_per_day_however_many_replicas_tick() -> None:
    async with migrated_database() as (_, engine):
        async with engine.begin() as conn:
            await add_to_available(conn, {CREATORS[0]: 2_000}, min_payouts={CREATORS[0]: 1_000})
        bank = SimulatedBank()
        runner = PayoutRunner(new_uow=uow_factory(engine), topic="unused", provider=bank)
        stop = asyncio.Event()

        def after_two_am() -> datetime:
            return datetime(2026, 11, 22, 2, 30, tzinfo=UTC)

        replicas = [
            asyncio.create_task(
                daily_payout_schedule(
                    stop, runner=runner, at=time(2, 0), poll_s=0.05, clock=after_two_am
                )
            )
            for _ in range(3)
        ]

        async def runs_recorded() -> int:
            async with engine.connect() as conn:
                return int(await conn.scalar(select(func.count()).select_from(payout_runs)) or 0)

        async def ran() -> bool:
            return await runs_recorded() >= 1

        try:
            await wait_until(ran, timeout_s=10)
            await asyncio.sleep(0.3)  # several more ticks of every replica
        finally:
            stop.set()
            await asyncio.gather(*replicas)
        assert await runs_recorded() == 1
    assert [(i.party_id, i.amount) for i in bank.instructions] == [("c-0", 2_000)]


async def test_the_daily_schedule_waits_for_its_time_of_day() -> None:
    async with migrated_database() as (_, engine):
        runner = PayoutRunner(new_uow=uow_factory(engine), topic="unused", provider=SimulatedBank())
        stop = asyncio.Event()
        task = asyncio.create_task(
            daily_payout_schedule(
                stop,
                runner=runner,
                at=time(2, 0),
                poll_s=0.05,
                clock=lambda: datetime(2026, 11, 22, 1, 59, tzinfo=UTC),
            )
        )
        await asyncio.sleep(0.3)
        stop.set()
        await task
        async with engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(payout_runs)) == 0


class StoppingBank:
    """A bank call that never returns: the run stops (crash, deploy) mid-settlement."""

    async def pay(self, instruction: PayoutInstruction) -> ProviderOutcome:
        raise asyncio.CancelledError


async def test_a_payout_left_unsettled_by_a_stopped_run_is_settled_by_the_next_run() -> None:
    async with migrated_database() as (_, engine):
        async with engine.begin() as conn:
            await add_to_available(conn, {CREATORS[0]: 3_000}, min_payouts={CREATORS[0]: 1_000})
        stopped = PayoutRunner(new_uow=uow_factory(engine), topic="unused", provider=StoppingBank())
        with contextlib.suppress(asyncio.CancelledError):
            await stopped.run(trigger="operator")
        async with engine.connect() as conn:
            (left,) = await list_payouts(conn, party_type="creator", party_id="c-0")
        assert left.status == "created"

        bank = SimulatedBank()
        next_run = await PayoutRunner(
            new_uow=uow_factory(engine), topic="unused", provider=bank
        ).run(trigger="operator")

        async with engine.connect() as conn:
            (settled,) = await list_payouts(conn, party_type="creator", party_id="c-0")
            (balance,) = await get_balances(conn, "creator", "c-0")
    assert next_run is not None and next_run.payouts == []
    assert [(i.payout_id, i.amount) for i in bank.instructions] == [(left.payout_id, 3_000)]
    assert (settled.payout_id, settled.status) == (left.payout_id, "paid")
    assert balance.available == 0
