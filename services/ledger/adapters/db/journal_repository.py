"""The journal: entries and their postings, appended by ``COPY``, and the accounts they name.

Every entry is new (its event was just claimed in the same transaction), so nothing needs
skipping. Each postings ``COPY`` holds whole entries, which is what the database's statement-level
balance check needs; the rows are built straight from the domain's entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.ledger.adapters.db.bulk_load import COPY_COLUMNS
from services.ledger.adapters.db.copy import copy_records
from services.ledger.domain.journal import JournalEntry, entry_id_text

_INSERT_ACCOUNTS = text(
    "INSERT INTO accounts (code, party_type, party_id, currency, sub_account) "
    "SELECT * FROM unnest(CAST(:code AS text[]), CAST(:party_type AS text[]), "
    "CAST(:party_id AS text[]), CAST(:currency AS text[]), CAST(:sub_account AS text[])) "
    "ON CONFLICT DO NOTHING"
)
_DETAILS = msgspec.json.Encoder(order="sorted")


class JournalRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def append(self, entries: Sequence[JournalEntry], recorded_at: datetime) -> None:
        """Accounts not known yet (a concurrent folder may add the same: no conflict), then the
        entries and their postings, ``recorded_at`` stamped on every entry."""
        if not entries:
            return
        by_code = {p.account.code: p.account for entry in entries for p in entry.postings}
        accounts = [by_code[code] for code in sorted(by_code)]
        await self._connection.execute(
            _INSERT_ACCOUNTS,
            {
                "code": [a.code for a in accounts],
                "party_type": [a.party_type for a in accounts],
                "party_id": [a.party_id for a in accounts],
                "currency": [a.currency for a in accounts],
                "sub_account": [a.sub_account for a in accounts],
            },
        )
        entry_rows = []
        posting_rows = []
        for entry in entries:
            entry_id = entry_id_text(entry.event_id)
            currency = entry.currency
            entry_rows.append(
                (
                    entry_id,
                    entry.event_id,
                    entry.order_id,
                    entry.shop_id,
                    entry.kind,
                    currency,
                    entry.occurred_at,
                    entry.rule_version,
                    _DETAILS.encode(entry.details).decode(),
                    recorded_at,
                )
            )
            occurred_at = entry.occurred_at
            for line_no, p in enumerate(entry.postings, start=1):
                posting_rows.append(
                    (
                        entry_id,
                        line_no,
                        p.account.code,
                        currency,
                        p.amount,
                        p.leg,
                        p.plan_id,
                        p.rate_bps,
                        occurred_at,
                    )
                )
        await copy_records(
            self._connection, "journal_entries", COPY_COLUMNS["journal_entries"], entry_rows
        )
        await copy_records(self._connection, "postings", COPY_COLUMNS["postings"], posting_rows)
