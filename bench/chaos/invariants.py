"""The seven invariants, checked on a quiescent pipeline from the databases (read only), the
topics and the services' APIs. Each answers a `Check` with counts; none raises on a violation.

I1 trial balance zero per currency (and every entry balanced);
I2 exactly one entry set per event (no event with two, no placement without one);
I3 webhooks accepted = events on orders.v1 = events folded by the ledger;
I4 each release at most once and never before its hold was due;
I5 a replay of the topics into a fresh database reproduces the live digest;
I6 reconciliation (payouts vs ledger vs bank) finds no difference;
I7 the bank paid no payout id twice and no payee more than the ledger's paid_out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
import httpx

from bench.chaos.check import Check
from bench.chaos.ledger_checks import (
    accepted_published_folded,
    one_entry_set_per_event,
    replay_reproduces_digest,
    trial_balance,
)
from bench.chaos.payouts_checks import (
    bank_paid_within_ledger,
    reconciliation_empty,
    releases_once_when_due,
)
from bench.chaos.pipeline import read_topic
from bench.chaos.stack import TOPICS, Stack

INVARIANTS = ("I1", "I2", "I3", "I4", "I5", "I6", "I7")


async def check_all(stack: Stack, accepted_ids: set[str]) -> dict[str, Check]:
    orders_events = await read_topic(stack.infra.bootstrap, TOPICS["orders"])
    checks: dict[str, Callable[[Stack], Awaitable[Check]]] = {
        "I1": trial_balance,
        "I2": lambda s: one_entry_set_per_event(s, orders_events),
        "I3": lambda s: accepted_published_folded(s, accepted_ids, orders_events),
        "I4": releases_once_when_due,
        "I5": replay_reproduces_digest,
        "I6": reconciliation_empty,
        "I7": bank_paid_within_ledger,
    }

    async def one(check: Callable[[Stack], Awaitable[Check]]) -> Check:
        try:
            return await check(stack)
        except (OSError, asyncpg.PostgresError, httpx.HTTPError, RuntimeError, TimeoutError) as e:
            return Check(None, note=f"could not check: {type(e).__name__}: {e}"[:300])

    # The replay (a subprocess) runs while the others read the databases.
    found = await asyncio.gather(*(one(check) for check in checks.values()))
    return dict(zip(checks, found, strict=True))
