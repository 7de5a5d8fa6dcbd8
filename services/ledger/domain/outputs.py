"""What a fold produces: journal entries and ``ledger.v1`` publications, per consumed event."""

import uuid
from dataclasses import dataclass, field

from services.ledger.domain.journal import JournalEntry
from shared.events import ledger_v1 as ledger
from shared.events.orders_v1 import OrdersEvent
from shared.events.payouts_v1 import PayoutsEvent

_PUBLICATION_NAMESPACE = uuid.UUID("0b6f7f57-08a5-4b8e-a2a4-5c3f1e9d2c40")


@dataclass(frozen=True, slots=True)
class Incoming:
    """A consumed event with its CloudEvents id (the dedupe key)."""

    event_id: str
    event: OrdersEvent | PayoutsEvent


@dataclass(frozen=True, slots=True)
class Publication:
    """A ``ledger.v1`` event to publish; ``event_id`` is derived from the source event's id."""

    event_id: str
    event: ledger.LedgerEvent


@dataclass(slots=True)
class FoldOutput:
    entries: list[JournalEntry] = field(default_factory=list)
    publications: list[Publication] = field(default_factory=list)
    touched_orders: set[tuple[str, str]] = field(default_factory=set)
    """``(shop_id, order_id)`` of every order the fold changed."""
    touched_payouts: set[str] = field(default_factory=set)


def publish(output: FoldOutput, source_event_id: str, event: ledger.LedgerEvent) -> None:
    event_id = uuid.uuid5(_PUBLICATION_NAMESPACE, f"{source_event_id}/{event.TYPE}")
    output.publications.append(Publication(str(event_id), event))
