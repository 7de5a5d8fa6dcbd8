"""Response bodies of the ledger's read API; every amount is integer minor units."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class CurrencyBalancePublic(BaseModel):
    currency: str
    pending: int = Field(description="integer minor units, not yet released")
    available: int = Field(description="integer minor units, payable; may be negative")
    paid_out: int = Field(description="integer minor units, moved out by payouts")


class BalancesPublic(BaseModel):
    party_type: str
    party_id: str
    as_of: datetime | None = None
    balances: list[CurrencyBalancePublic]


class PartyBalancesPublic(BaseModel):
    party_type: str
    party_id: str
    balances: list[CurrencyBalancePublic]


class BalancesListPublic(BaseModel):
    items: list[PartyBalancesPublic]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: last")


class PostingPublic(BaseModel):
    account: str
    amount: int = Field(description="signed integer minor units")
    leg: str
    plan_id: str | None
    rate_bps: int | None


class EntryPublic(BaseModel):
    id: str
    event_id: str
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    rule_version: str
    details: dict[str, Any]
    postings: list[PostingPublic]


class OrderEntriesPublic(BaseModel):
    order_id: str
    shop_id: str
    entries: list[EntryPublic]


class CurrencyTotalPublic(BaseModel):
    currency: str
    total: int = Field(description="sum of every posting, integer minor units; always 0")
    postings: int


class TrialBalancePublic(BaseModel):
    balanced: bool
    currencies: list[CurrencyTotalPublic]


class StatementLinePublic(BaseModel):
    occurred_at: datetime
    currency: str
    sub_account: str
    amount: int = Field(description="signed integer minor units")
    balance_after: int = Field(description="sub-account balance after this line, minor units")
    kind: str
    leg: str
    order_id: str | None
    event_id: str
    plan_id: str | None
    rate_bps: int | None


class StatementPublic(BaseModel):
    party_type: str
    party_id: str
    start: datetime | None = Field(None, serialization_alias="from")
    end: datetime | None = Field(None, serialization_alias="to")
    opening: list[CurrencyBalancePublic]
    lines: list[StatementLinePublic]
    closing: list[CurrencyBalancePublic]
