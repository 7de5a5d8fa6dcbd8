"""A lean decoder for the replay's verify mode: the common order records in a few microseconds.

``LeanDecoder`` decodes the records our producers write (canonical CloudEvents headers, compact
JSON in the models' field order) of ``order.placed``, ``order.delivered``, ``order.refunded``,
``order.cancelled`` and ``settlement.released`` into small msgspec structs, and checks every rule
the pydantic models of ``shared.events`` check (lengths, bounds, literals, settled currency,
RFC 3339 times, each model's own validator, the record key). It is a fast path only:

- it **accepts** a record only when the full decoder (``RecordDecoder``) would accept it and
  decode the same values: the value must re-encode to exactly its own bytes (so no duplicate
  keys, no unknown or missing fields, no other spelling of a value), the headers must be the
  exact canonical set in canonical order;
- for anything else it answers ``None`` and the caller asks ``RecordDecoder``, which decides
  (so a record the live ledger dead-letters is refused for the reason the live ledger gives).

Other event types (payouts) are left to ``RecordDecoder`` too: they are rare, and the verify fold
applies them through the domain's own ``apply_payout``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from shared.events.common import ID_MAX_LENGTH
from shared.events.orders_v1 import MAX_PLAN_RATE_BPS, MIN_PLAN_RATE_BPS
from shared.kafka.consumer import ConsumedRecord
from shared.money import BPS_DENOMINATOR, is_currency

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=ID_MAX_LENGTH)]
Amount = Annotated[int, msgspec.Meta(ge=0)]
PositiveAmount = Annotated[int, msgspec.Meta(gt=0)]
Bps = Annotated[int, msgspec.Meta(ge=0, le=BPS_DENOMINATOR)]
Count = Annotated[int, msgspec.Meta(ge=1)]
Region = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}\Z")]
Timestamp = str
"""Kept as text (the verify fold reads no time); checked by ``valid_time``."""


class _Strict(msgspec.Struct, forbid_unknown_fields=True):
    """Every field required, unknown fields refused (the models' ``extra="forbid"``)."""


class Line(_Strict):
    line_no: Count
    sku: Id
    quantity: Count
    unit_price: Amount
    discount: Amount
    rate_bps: Bps
    plan_id: Id | None
    plan_type: Literal["targeted", "open", "shop"] | None

    @property
    def base(self) -> int:
        return self.unit_price * self.quantity - self.discount


class Agency(_Strict):
    agency_id: Id
    share_bps: Bps


class Terms(_Strict):
    after_sales_window_days: Annotated[int, msgspec.Meta(ge=0)]
    release_rule: Literal["next_day", "cn_monthly"]
    min_payout: Amount
    platform_fee_bps: Bps
    platform_cut_bps: Bps
    creator_tax_bps: Bps


class Placed(_Strict):
    order_id: Id
    shop_id: Id
    region: Region
    currency: str
    occurred_at: Timestamp
    lines: Annotated[list[Line], msgspec.Meta(min_length=1)]
    shipping_fee: Amount
    creator_id: Id | None
    agency: Agency | None
    terms: Terms


class Delivered(_Strict):
    order_id: Id
    shop_id: Id
    delivered_at: Timestamp


class Refunded(_Strict):
    order_id: Id
    shop_id: Id
    refund_id: Id
    amount: PositiveAmount
    occurred_at: Timestamp
    refunded_total: PositiveAmount


class Cancelled(_Strict):
    order_id: Id
    shop_id: Id
    occurred_at: Timestamp


class ReleasedLeg(_Strict):
    party_type: Literal["merchant", "creator", "agency", "platform", "tax"]
    party_id: Id
    amount: Amount


class Released(_Strict):
    order_id: Id
    shop_id: Id
    currency: str
    released_at: Timestamp
    legs: Annotated[list[ReleasedLeg], msgspec.Meta(min_length=1)]


LeanOrderEvent = Placed | Delivered | Refunded | Cancelled | Released
LEAN_TYPES: dict[str, type[LeanOrderEvent]] = {
    "order.placed": Placed,
    "order.delivered": Delivered,
    "order.refunded": Refunded,
    "order.cancelled": Cancelled,
    "settlement.released": Released,
}
"""CloudEvents type -> lean struct (the same field names, order and rules as the models)."""

_CANONICAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{6})?Z", re.ASCII)


def valid_time(text: str) -> bool:
    """True when ``text`` is an instant in the canonical UTC form our producers write (which
    ``rfc3339.parse`` accepts, and the models write back unchanged); any other form, valid or
    not, is left to the full decoder. The C parser checks the same fields and ranges."""
    if _CANONICAL_TIME.fullmatch(text) is None:
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _lines_valid(event: Placed) -> bool:
    """``orders_v1.OrderLine`` and ``OrderPlaced`` model validators."""
    numbers = set()
    for line in event.lines:
        if line.base < 0 or (line.plan_id is None) != (line.plan_type is None):
            return False
        if line.plan_id is None:
            if line.rate_bps != 0:
                return False
        elif not MIN_PLAN_RATE_BPS <= line.rate_bps <= MAX_PLAN_RATE_BPS:
            return False
        if event.creator_id is None and line.rate_bps:
            return False
        numbers.add(line.line_no)
    return len(numbers) == len(event.lines)


def rules_hold(event: LeanOrderEvent) -> bool:
    """The models' rules msgspec constraints do not express (see ``orders_v1``, ``payouts_v1``)."""
    if isinstance(event, Placed):
        return is_currency(event.currency) and valid_time(event.occurred_at) and _lines_valid(event)
    if isinstance(event, Refunded):
        return event.refunded_total >= event.amount and valid_time(event.occurred_at)
    if isinstance(event, Delivered):
        return valid_time(event.delivered_at)
    if isinstance(event, Cancelled):
        return valid_time(event.occurred_at)
    parties = {(leg.party_type, leg.party_id) for leg in event.legs}
    return (
        is_currency(event.currency)
        and valid_time(event.released_at)
        and len(parties) == len(event.legs)
    )


_HEADER_NAMES = (
    "ce_specversion",
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_time",
    "ce_schemaversion",
    "content-type",
)


class LeanDecoder:
    """Decodes the canonical records of the common order types; ``None`` for anything else."""

    def __init__(self, *, topic_orders: str, topic_payouts: str) -> None:
        self._types: dict[str, dict[str, type[LeanOrderEvent]]] = {
            topic_orders: {
                name: lean for name, lean in LEAN_TYPES.items() if name.startswith("order.")
            },
            topic_payouts: {"settlement.released": Released},
        }
        self._decoders = {name: msgspec.json.Decoder(lean) for name, lean in LEAN_TYPES.items()}
        self._encode = msgspec.json.Encoder().encode

    def __call__(self, record: ConsumedRecord) -> tuple[str, LeanOrderEvent] | None:
        """``(event id, event)``, or None when only the full decoder can decide."""
        headers = record.headers
        if len(headers) != len(_HEADER_NAMES) or record.value is None or not record.key:
            return None
        if tuple(name for name, _ in headers) != _HEADER_NAMES:
            return None
        values = tuple(value for _, value in headers)
        if any(value is None for value in values):
            return None
        spec, raw_id, source, raw_type, raw_time, version, content_type = values
        if spec != b"1.0" or version != b"1" or content_type != b"application/json":
            return None
        if not (raw_id and source):
            return None
        try:
            event_id, type_name, time = raw_id.decode(), raw_type.decode(), raw_time.decode()
            source.decode()
            key = record.key.decode()
        except UnicodeDecodeError:
            return None
        lean = self._types.get(record.topic, {}).get(type_name)
        if lean is None or not valid_time(time):
            return None
        try:
            event = self._decoders[type_name].decode(record.value)
        except (msgspec.MsgspecError, ValueError):  # invalid UTF-8 is a UnicodeDecodeError
            return None
        if key != event.order_id or self._encode(event) != record.value:
            return None
        if not rules_hold(event):
            return None
        return event_id, event
