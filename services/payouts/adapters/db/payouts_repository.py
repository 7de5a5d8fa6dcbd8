"""SQL for payout runs and payouts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Row, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.payouts.adapters.db.tables import payout_runs, payouts
from services.payouts.domain.balances import Payee
from services.payouts.domain.payouts import Payout


def _payout(row: Row[Any]) -> Payout:
    return Payout(
        payout_id=row.payout_id,
        run_id=row.run_id,
        party_type=row.party_type,
        party_id=row.party_id,
        currency=row.currency,
        amount=int(row.amount),
        status=row.status,
        failure_reason=row.failure_reason,
        created_at=row.created_at,
        completed_at=row.completed_at,
        attempts=int(row.attempts),
        last_attempt_at=row.last_attempt_at,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
    )


_UNSETTLED = payouts.c.status == "created"
_DUE = or_(payouts.c.next_attempt_at.is_(None), payouts.c.next_attempt_at <= func.clock_timestamp())


async def start_run(
    conn: AsyncConnection, run_id: str, trigger: str, scheduled_for: date | None
) -> datetime | None:
    """Insert the run; returns its start time, or None when the day's scheduled run exists."""
    statement = (
        pg_insert(payout_runs)
        .values(run_id=run_id, trigger=trigger, scheduled_for=scheduled_for)
        .on_conflict_do_nothing()
        .returning(payout_runs.c.started_at)
    )
    started_at = (await conn.execute(statement)).scalar()
    return started_at if isinstance(started_at, datetime) else None


async def create_payout(
    conn: AsyncConnection, payout_id: str, run_id: str, payee: Payee, amount: int
) -> Payout:
    row = (
        await conn.execute(
            insert(payouts)
            .values(
                payout_id=payout_id,
                run_id=run_id,
                party_type=payee.party_type,
                party_id=payee.party_id,
                currency=payee.currency,
                amount=amount,
                status="created",
            )
            .returning(*payouts.c)
        )
    ).one()
    return _payout(row)


async def lock_due_payout(conn: AsyncConnection, payout_id: str) -> Payout | None:
    """Lock a payout still `created` and due (by database time) until commit; None if it is
    settled, not due yet, or another process holds it (locked rows are skipped), so only one
    process at a time asks the bank about it, and never before its backoff has passed."""
    row = (
        await conn.execute(
            select(payouts)
            .where(payouts.c.payout_id == payout_id, _UNSETTLED, _DUE)
            .with_for_update(skip_locked=True)
        )
    ).first()
    return None if row is None else _payout(row)


async def due_payout_ids(conn: AsyncConnection, limit: int = 1_000) -> list[str]:
    """Payouts still `created` whose next call is due, longest due first: left by a run that
    stopped, or waiting for a retry after a call without a definite answer."""
    query = (
        select(payouts.c.payout_id)
        .where(_UNSETTLED, _DUE)
        .order_by(
            func.coalesce(payouts.c.next_attempt_at, payouts.c.created_at), payouts.c.payout_id
        )
        .limit(limit)
    )
    return list((await conn.execute(query)).scalars())


async def finish_payout(
    conn: AsyncConnection, payout_id: str, status: str, failure_reason: str | None
) -> Payout | None:
    """Move a `created` payout to `paid` or `failed` after a definite answer (one more attempt);
    None if it was already finished."""
    row = (
        await conn.execute(
            update(payouts)
            .where(payouts.c.payout_id == payout_id, _UNSETTLED)
            .values(
                status=status,
                failure_reason=failure_reason,
                completed_at=func.clock_timestamp(),
                attempts=payouts.c.attempts + 1,
                last_attempt_at=func.clock_timestamp(),
                next_attempt_at=None,
            )
            .returning(*payouts.c)
        )
    ).first()
    return None if row is None else _payout(row)


async def postpone_payout(
    conn: AsyncConnection, payout_id: str, error: str, retry_after: timedelta
) -> Payout | None:
    """Record a call without a definite answer: the payout stays `created`, one more attempt,
    due again `retry_after` from now (database time). None if it was already finished."""
    row = (
        await conn.execute(
            update(payouts)
            .where(payouts.c.payout_id == payout_id, _UNSETTLED)
            .values(
                attempts=payouts.c.attempts + 1,
                last_attempt_at=func.clock_timestamp(),
                last_error=error,
                next_attempt_at=func.clock_timestamp() + retry_after,
            )
            .returning(*payouts.c)
        )
    ).first()
    return None if row is None else _payout(row)


async def unsettled_backlog(conn: AsyncConnection) -> tuple[int, float]:
    """(payouts still `created`, seconds since the oldest of them was created; 0 when none)."""
    row = (
        await conn.execute(
            select(
                func.count(),
                func.coalesce(
                    func.extract("epoch", func.clock_timestamp() - func.min(payouts.c.created_at)),
                    0,
                ),
            ).where(_UNSETTLED)
        )
    ).one()
    return int(row[0]), max(float(row[1]), 0.0)


async def wait_for_payout(conn: AsyncConnection, payout_id: str) -> Payout | None:
    """The payout once no other process holds it: waits for the lock (a holder is settling it,
    for at most its provider timeout) and keeps it until commit."""
    row = (
        await conn.execute(
            select(payouts).where(payouts.c.payout_id == payout_id).with_for_update()
        )
    ).first()
    return None if row is None else _payout(row)


async def list_payouts(
    conn: AsyncConnection,
    *,
    party_type: str | None = None,
    party_id: str | None = None,
    limit: int = 500,
) -> list[Payout]:
    """Newest first; filtered by party when given."""
    query = select(payouts).order_by(payouts.c.created_at.desc(), payouts.c.payout_id).limit(limit)
    if party_type is not None:
        query = query.where(payouts.c.party_type == party_type)
    if party_id is not None:
        query = query.where(payouts.c.party_id == party_id)
    return [_payout(row) for row in await conn.execute(query)]


async def payouts_created_since(conn: AsyncConnection, since: datetime) -> list[Payout]:
    """Every payout created at or after `since`, oldest first."""
    query = (
        select(payouts)
        .where(payouts.c.created_at >= since)
        .order_by(payouts.c.created_at, payouts.c.payout_id)
    )
    return [_payout(row) for row in await conn.execute(query)]


class SqlPayoutsRepository:
    """``service.ports.PayoutsRepository`` on one connection (the unit of work's transaction)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def start_run(
        self, run_id: str, trigger: str, scheduled_for: date | None
    ) -> datetime | None:
        return await start_run(self._conn, run_id, trigger, scheduled_for)

    async def create(self, payout_id: str, run_id: str, payee: Payee, amount: int) -> Payout:
        return await create_payout(self._conn, payout_id, run_id, payee, amount)

    async def lock_due(self, payout_id: str) -> Payout | None:
        return await lock_due_payout(self._conn, payout_id)

    async def due_ids(self, limit: int) -> list[str]:
        return await due_payout_ids(self._conn, limit)

    async def finish(
        self, payout_id: str, status: str, failure_reason: str | None
    ) -> Payout | None:
        return await finish_payout(self._conn, payout_id, status, failure_reason)

    async def postpone(self, payout_id: str, error: str, retry_after: timedelta) -> Payout | None:
        return await postpone_payout(self._conn, payout_id, error, retry_after)

    async def wait_for(self, payout_id: str) -> Payout | None:
        return await wait_for_payout(self._conn, payout_id)

    async def unsettled_backlog(self) -> tuple[int, float]:
        return await unsettled_backlog(self._conn)

    async def created_since(self, since: datetime) -> list[Payout]:
        return await payouts_created_since(self._conn, since)

    async def listing(
        self, *, party_type: str | None = None, party_id: str | None = None, limit: int = 500
    ) -> list[Payout]:
        return await list_payouts(self._conn, party_type=party_type, party_id=party_id, limit=limit)
