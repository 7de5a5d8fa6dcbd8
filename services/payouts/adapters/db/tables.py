"""Tables of the payouts service's own database."""

from __future__ import annotations

from sqlalchemy import MetaData

from shared.db.inbox import define_inbox_tables
from shared.db.outbox import define_outbox_table

metadata = MetaData()
outbox = define_outbox_table(metadata)
processed_events, consumer_positions = define_inbox_tables(metadata)
