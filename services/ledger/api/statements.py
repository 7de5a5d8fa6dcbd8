"""Shaping balances and statement lines for the API (pure translation, no queries)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from services.ledger.api.schemas import (
    CurrencyBalancePublic,
    StatementLinePublic,
    StatementPublic,
)
from services.ledger.service.queries import SubBalance


def _public(totals: dict[str, dict[str, int]]) -> list[CurrencyBalancePublic]:
    return [
        CurrencyBalancePublic(
            currency=currency,
            pending=subs.get("pending", 0),
            available=subs.get("available", 0),
            paid_out=subs.get("paid_out", 0),
        )
        for currency, subs in sorted(totals.items())
    ]


def by_currency(balances: Sequence[SubBalance]) -> list[CurrencyBalancePublic]:
    totals: dict[str, dict[str, int]] = {}
    for balance in balances:
        totals.setdefault(balance.currency, {})[balance.sub_account] = balance.amount
    return _public(totals)


def build_statement(
    party_type: str,
    party_id: str,
    start: datetime | None,
    end: datetime | None,
    opening: Sequence[SubBalance],
    rows: Sequence[Any],
) -> StatementPublic:
    """Opening balances, each line with the sub-account balance after it, closing balances."""
    running: dict[str, dict[str, int]] = {}
    for balance in opening:
        running.setdefault(balance.currency, {})[balance.sub_account] = balance.amount
    opening_public = _public(running)
    lines = []
    for row in rows:
        subs = running.setdefault(row.currency, {})
        subs[row.sub_account] = subs.get(row.sub_account, 0) + row.amount
        lines.append(
            StatementLinePublic(
                occurred_at=row.occurred_at,
                currency=row.currency,
                sub_account=row.sub_account,
                amount=row.amount,
                balance_after=subs[row.sub_account],
                kind=row.kind,
                leg=row.leg,
                order_id=row.order_id,
                event_id=row.event_id,
                plan_id=row.plan_id,
                rate_bps=row.rate_bps,
            )
        )
    return StatementPublic(
        party_type=party_type,
        party_id=party_id,
        start=start,
        end=end,
        opening=opening_public,
        lines=lines,
        closing=_public(running),
    )
