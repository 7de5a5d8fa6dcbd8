"""The lean decoder accepts a record only when the live ledger's decoder does, with the same
values, and it does accept the records our producers write."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from services.ledger.service.decoding import RecordDecoder
from services.ledger.service.replay_decoding import LEAN_TYPES, LeanDecoder, valid_time
from shared.kafka.consumer import ConsumedRecord
from tests.support.replay_streams import ORDERS_TOPIC, PAYOUTS_TOPIC, troubled_stream

LEAN = LeanDecoder(topic_orders=ORDERS_TOPIC, topic_payouts=PAYOUTS_TOPIC)
FULL = RecordDecoder(topic_orders=ORDERS_TOPIC, topic_payouts=PAYOUTS_TOPIC)
RECORDS, _ = troubled_stream(9, orders=40)


def by_type(type_name: str) -> ConsumedRecord:
    return next(r for r in RECORDS if (b"ce_type", type_name.encode()) in _pairs(r))


def _pairs(record: ConsumedRecord) -> list[tuple[bytes, bytes]]:
    return [(name.encode(), value) for name, value in record.headers]


def assert_agrees(record: ConsumedRecord) -> bool:
    """Lean accepts only what the full decoder accepts, with equal values; returns whether the
    lean decoder accepted."""
    lean = LEAN(record)
    try:
        full = FULL(record)
    except ValueError:
        assert lean is None, record
        return False
    if lean is not None:
        event_id, event = lean
        assert event_id == full.event_id
        dumped = full.event.model_dump(mode="json")
        assert msgspec.convert(dumped, LEAN_TYPES[full.event.TYPE]) == event
        assert msgspec.to_builtins(event) == dumped
    return lean is not None


def test_the_records_our_producers_write_take_the_lean_path() -> None:
    accepted = [assert_agrees(record) for record in RECORDS]
    payouts = [b"payout." in dict(_pairs(r))[b"ce_type"] for r in RECORDS]
    # Everything but payouts and the two broken values decodes lean.
    assert accepted.count(False) == payouts.count(True) + 2


def _data(record: ConsumedRecord) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(record.value or b"")
    return loaded


def _with_data(record: ConsumedRecord, change: Callable[[dict[str, Any]], None]) -> ConsumedRecord:
    data = _data(record)
    change(data)
    value = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return dataclasses.replace(record, value=value)


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value

    return change


_DELETE = object()
PLACED_CHANGES = [
    _set("region", "UK\n"),
    _set("region", "uk"),
    _set("currency", "EUR"),
    _set("shipping_fee", -1),
    _set("shipping_fee", 1.0),
    _set("shipping_fee", True),
    _set("shipping_fee", 10**30),
    _set("order_id", ""),
    _set("order_id", "x" * 201),
    _set("order_id", "x" * 200),
    _set("occurred_at", "2026-02-30T00:00:00Z"),
    _set("occurred_at", "2026-11-01T08:00:00+01:00"),
    _set("occurred_at", "2026-11-01t08:00:00Z"),
    _set("occurred_at", "2026-11-01 08:00:00Z"),
    _set("occurred_at", "2026-11-01T24:00:00Z"),
    _set("lines.0.rate_bps", 50),
    _set("lines.0.rate_bps", 9000),
    _set("lines.0.plan_type", None),
    _set("lines.0.plan_type", "other"),
    _set("lines.0.discount", 10**6),
    _set("lines.0.quantity", 0),
    _set("lines.0.line_no", 2),
    _set("lines.0.extra", 1),
    _set("lines.0.sku", _DELETE),
    _set("lines", []),
    _set("creator_id", None),
    _set("creator_id", _DELETE),
    _set("agency", None),
    _set("agency", {"agency_id": "a", "share_bps": 10_001}),
    _set("terms.release_rule", "weekly"),
    _set("terms.platform_fee_bps", -5),
    _set("extra", "field"),
]


@pytest.mark.parametrize("change", PLACED_CHANGES)
def test_a_changed_placement_is_decoded_lean_only_if_the_live_decoder_accepts_it(
    change: Callable[[dict[str, Any]], None],
) -> None:
    assert_agrees(_with_data(by_type("order.placed"), change))


@pytest.mark.parametrize(
    ("type_name", "change"),
    [
        ("order.refunded", _set("refunded_total", 0)),
        ("order.refunded", _set("amount", 0)),
        ("order.refunded", _set("refunded_total", 1)),
        ("order.delivered", _set("delivered_at", "2026-11-01T08:00:00.123456Z")),
        ("order.delivered", _set("delivered_at", "2026-13-01T08:00:00Z")),
        ("order.cancelled", _set("shop_id", None)),
        ("settlement.released", _set("legs", [])),
        ("settlement.released", _set("legs.0.party_type", "bank")),
        ("settlement.released", _set("currency", "XXX")),
    ],
)
def test_other_changed_events_are_decoded_lean_only_if_the_live_decoder_accepts_them(
    type_name: str, change: Callable[[dict[str, Any]], None]
) -> None:
    assert_agrees(_with_data(by_type(type_name), change))


def test_repeated_legs_of_one_party_are_refused() -> None:
    def repeat(data: dict[str, Any]) -> None:
        data["legs"] = data["legs"] * 2

    assert not assert_agrees(_with_data(by_type("settlement.released"), repeat))


def _header(record: ConsumedRecord, name: str, value: bytes | None) -> ConsumedRecord:
    headers = [(n, value if n == name else v) for n, v in record.headers]
    return dataclasses.replace(record, headers=tuple((n, v) for n, v in headers if v is not None))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ce_schemaversion", b"2"),
        ("ce_schemaversion", b"01"),
        ("content-type", b"application/json; charset=utf-8"),
        ("ce_time", b"2026-11-01t08:00:00Z"),
        ("ce_time", b"2026-11-01T08:00:60Z"),
        ("ce_id", b""),
        ("ce_id", b"\xff"),
        ("ce_source", None),
        ("ce_type", b"order.shipped"),
        ("ce_specversion", b"1.1"),
    ],
)
def test_changed_headers_are_decoded_lean_only_if_the_live_decoder_accepts_them(
    name: str, value: bytes | None
) -> None:
    assert_agrees(_header(by_type("order.placed"), name, value))


def test_odd_records_are_left_to_the_live_decoder() -> None:
    """Duplicate keys, invalid UTF-8, a wrong key or topic, a header without a value."""
    record = by_type("order.delivered")
    value = record.value or b""
    duplicate = dataclasses.replace(record, value=value[:-1] + b',"shop_id":"shop-1"}')
    rekeyed = dataclasses.replace(record, key=b"another-order")
    elsewhere = dataclasses.replace(record, topic="unknown.v1")
    not_utf8 = dataclasses.replace(record, value=value.replace(b'"shop-', b'"\xff-', 1))
    headers: list[tuple[str, Any]] = [(n, None if n == "ce_type" else v) for n, v in record.headers]
    no_type = dataclasses.replace(record, headers=tuple(headers))  # a header without a value
    assert assert_agrees(record)
    for changed in (duplicate, rekeyed, elsewhere, not_utf8, no_type):
        assert LEAN(changed) is None
        assert not assert_agrees(changed)


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("2026-11-01T08:00:00Z", True),
        ("2026-11-01T08:00:00.250000Z", True),
        ("2026-11-01T08:00:00.5+02:00", False),  # valid, but left to the full decoder
        ("2026-11-01t08:00:00Z", False),
        ("2026-02-29T08:00:00Z", False),
        ("2026-11-01T08:00Z", False),
    ],
)
def test_valid_time_accepts_the_canonical_form_of_valid_instants(text: str, valid: bool) -> None:
    assert valid_time(text) is valid
