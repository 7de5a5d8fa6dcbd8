"""Building blocks shared by the topic schemas (`orders_v1`, `ledger_v1`, `payouts_v1`).

Contracts every event model follows:
- frozen, unknown fields rejected (`extra="forbid"`);
- money is an integer count of the currency's minor unit and rates are integer basis points, both
  strict: floats, numeric strings and booleans are rejected, never coerced;
- timestamps are RFC 3339 strings (or aware datetimes in Python) with an explicit offset; unix
  numbers and naive times are rejected;
- each model names its CloudEvents `TYPE` and its Kafka `record_key`, so a producer cannot pair an
  event with the wrong type string or partition.

Every parse failure is a ValueError (UnknownEventTypeError, UnsupportedSchemaVersionError,
pydantic.ValidationError, MalformedEventError), so a consumer can send any of them to the DLQ.
"""

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, TypeVar, get_args

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from shared.events import rfc3339
from shared.events.envelope import Envelope, MalformedEventError, new_envelope
from shared.money import BPS_DENOMINATOR, is_currency

PartyType = Literal["merchant", "creator", "agency", "platform", "tax"]
"""Who a leg belongs to. The merchant's party id is the shop id; platform and tax ids are chosen by
the ledger (per region or currency), since neither is paid out by the payouts service."""
PARTY_TYPES: tuple[PartyType, ...] = get_args(PartyType)

Amount = Annotated[int, Field(strict=True, ge=0)]
"""Non-negative integer count of the currency's minor unit (ISO 4217 exponent)."""
PositiveAmount = Annotated[int, Field(strict=True, gt=0)]
"""Strictly positive integer count of the currency's minor unit."""
Bps = Annotated[int, Field(strict=True, ge=0, le=BPS_DENOMINATOR)]
"""A rate in basis points, 0..10,000 (0%..100%)."""
Count = Annotated[int, Field(strict=True, ge=1)]
Days = Annotated[int, Field(strict=True, ge=0)]


def _settled_currency(code: str) -> str:
    if not is_currency(code):
        raise ValueError(f"{code!r} is not a currency the system settles in")
    return code


Currency = Annotated[str, AfterValidator(_settled_currency)]
"""ISO 4217 code of a settled currency (`shared.money.CURRENCY_EXPONENTS`), e.g. `GBP`."""
Region = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
"""Region code as configured in the project (`ID`, `UK`, `US`, `VN`, `CN`, ...)."""
ID_MAX_LENGTH = 200
"""The longest id (shop, order, party, payout...) the system accepts, in characters."""
Id = Annotated[str, Field(min_length=1, max_length=ID_MAX_LENGTH)]


def _rfc3339_only(value: object) -> object:
    if isinstance(value, str):
        return rfc3339.parse(value)
    if isinstance(value, datetime):
        return value
    raise ValueError("expected an RFC 3339 date-time string")


Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339_only)]
"""An instant with an explicit offset; serialised as RFC 3339."""


class EventModel(BaseModel):
    """Base of every event's data. Subclasses set `TYPE` and define `record_key`."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    TYPE: ClassVar[str]

    @property
    def record_key(self) -> str:
        """The Kafka record key (partition key) this event is published under."""
        raise NotImplementedError


class OrderEvent(EventModel):
    """An event about one order of one shop, keyed by the order id (so an order's events keep
    their order on one partition)."""

    order_id: Id
    shop_id: Id

    @property
    def record_key(self) -> str:
        return self.order_id

    @property
    def order_key(self) -> tuple[str, str]:
        """The order's identity, ``(shop_id, order_id)``: two shops may use one order id."""
        return (self.shop_id, self.order_id)


class EventPart(BaseModel):
    """Base of nested objects inside event data (legs, lines, terms)."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class Leg(EventPart):
    """One party's amount in a posting: pending, reversed, released or paid, per the event."""

    party_type: PartyType
    party_id: Id
    amount: Amount


def payee_key(party_type: PartyType, party_id: str) -> str:
    """Record key for events about a payee, e.g. `creator:c-42`; party types contain no colon."""
    return f"{party_type}:{party_id}"


def require_distinct_parties(legs: list[Leg]) -> list[Leg]:
    """Legs are one per party: a party's several components (fee and cut) are summed first."""
    parties = [(leg.party_type, leg.party_id) for leg in legs]
    if len(set(parties)) != len(parties):
        raise ValueError("each party may appear in only one leg")
    return legs


Legs = Annotated[list[Leg], Field(min_length=1), AfterValidator(require_distinct_parties)]
"""At least one leg, one per party."""


class UnknownEventTypeError(ValueError):
    """The CloudEvents type is not registered for the topic."""

    def __init__(self, topic: str, type_name: str) -> None:
        super().__init__(f"{topic} has no event type {type_name!r}")
        self.topic = topic
        self.type_name = type_name


class UnsupportedSchemaVersionError(ValueError):
    """The schema version is newer than this code knows, or not a version at all."""

    def __init__(self, topic: str, type_name: str, version: int, current: int) -> None:
        super().__init__(
            f"{topic} {type_name!r} schema version {version} is not in 1..{current}; "
            "deploy a consumer that knows it"
        )
        self.version = version


Upcaster = Callable[[str, dict[str, Any]], dict[str, Any]]
"""Turns (type name, data at version n) into data at version n + 1; registered under n."""

E = TypeVar("E", bound=EventModel)


def upcast_data(
    *,
    topic: str,
    current: int,
    steps: Mapping[int, Upcaster],
    type_name: str,
    version: int,
    data: Mapping[str, Any],
) -> dict[str, Any]:
    """Apply the upcasters from `version` up to `current`; the stored event is never rewritten."""
    if not 1 <= version <= current:
        raise UnsupportedSchemaVersionError(topic, type_name, version, current)
    upcast = dict(data)
    for step in range(version, current):
        upcast = steps[step](type_name, upcast)
    return upcast


def parse_event(
    *, topic: str, registry: Mapping[str, type[E]], type_name: str, data: Mapping[str, Any]
) -> E:
    """Validate current-version data against the model registered for `type_name`."""
    model = registry.get(type_name)
    if model is None:
        raise UnknownEventTypeError(topic, type_name)
    return model.model_validate(data)


def registry_of(*models: type[E]) -> dict[str, type[E]]:
    """Index event models by their `TYPE`, refusing two models with one type name."""
    registry: dict[str, type[E]] = {}
    for model in models:
        if model.TYPE in registry:
            raise ValueError(f"two models claim type {model.TYPE!r}")
        registry[model.TYPE] = model
    return registry


def envelope_of(
    event: EventModel,
    *,
    source: str,
    schema_version: int,
    event_id: str,
    time: datetime,
    subject: str | None,
) -> Envelope:
    """Wrap an event with type, key and schema version taken from the event and its topic."""
    return new_envelope(
        event.TYPE,
        source,
        event.record_key,
        event,
        event_id=event_id,
        time=time,
        subject=subject,
        schemaversion=schema_version,
    )


def require_matching_key(envelope: Envelope, event: EventModel) -> None:
    """A record keyed otherwise than its event would land on the wrong partition: refuse it."""
    if envelope.key != event.record_key:
        raise MalformedEventError(
            f"record key {envelope.key!r} does not match {event.TYPE} key {event.record_key!r}"
        )
