"""What a fold produces: journal entries, ``ledger.v1`` publications and the new state of every
order and payout it changed (the state it was given is left untouched)."""

import dataclasses
import uuid
from dataclasses import dataclass, field

from services.ledger.domain.ids import uuid5_text
from services.ledger.domain.journal import JournalEntry
from services.ledger.domain.publications import LedgerPublication
from services.ledger.domain.state import OrderKey, OrderState, PayoutState
from shared.events import ledger_v1
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
    event: LedgerPublication


@dataclass(slots=True)
class FoldOutput:
    entries: list[JournalEntry] = field(default_factory=list)
    publications: list[Publication] = field(default_factory=list)
    orders: dict[OrderKey, OrderState] = field(default_factory=dict)
    """The new state of every order the fold changed, by ``(shop_id, order_id)``."""
    payouts: dict[str, PayoutState] = field(default_factory=dict)
    """The new state of every payout the fold changed, by payout id."""

    @property
    def touched_orders(self) -> set[OrderKey]:
        return set(self.orders)

    @property
    def touched_payouts(self) -> set[str]:
        return set(self.payouts)


@dataclass(frozen=True, slots=True)
class WirePublication:
    """A publication as its ``ledger_v1`` model (see ``fold.fold``)."""

    event_id: str
    event: ledger_v1.LedgerEvent


@dataclass(slots=True)
class WireFoldOutput:
    """``FoldOutput`` with the publications as ``ledger_v1`` models (see ``fold.fold``)."""

    entries: list[JournalEntry]
    publications: list[WirePublication]
    orders: dict[OrderKey, OrderState]
    payouts: dict[str, PayoutState]


def as_wire(event: LedgerPublication) -> ledger_v1.LedgerEvent:
    """The ``ledger_v1`` model of a publication (validated: the fields are the same)."""
    model: ledger_v1.LedgerEvent = ledger_v1.EVENT_TYPES[event.TYPE].model_validate(
        dataclasses.asdict(event)
    )
    return model


def publish(output: FoldOutput, source_event_id: str, event: LedgerPublication) -> None:
    output.publications.append(Publication(publication_id(source_event_id, event.TYPE), event))


def publication_id(source_event_id: str, event_type: str) -> str:
    """``str(uuid5(namespace, f"{source_event_id}/{event_type}"))``, without building a UUID."""
    return uuid5_text(_PUBLICATION_NAMESPACE, f"{source_event_id}/{event_type}")
