"""`ledger_v1.decode_record` (the consumer's lean decode) accepts and refuses exactly what
`parse_envelope(from_kafka(...))` does, with the same errors, and takes its fast path for the
records our producers write."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from shared.events import lean_decoding, ledger_v1
from shared.events.common import Leg
from shared.events.envelope import KafkaRecord, from_kafka
from shared.events.terms import ReleaseTerms

T0 = datetime(2026, 11, 1, 8, tzinfo=UTC)
LEGS = [
    Leg(party_type="merchant", party_id="shop-1", amount=900),
    Leg(party_type="creator", party_id="c-ü", amount=100),
]
EVENTS: list[ledger_v1.LedgerEvent] = [
    ledger_v1.LedgerOrderPosted(
        order_id="o-1",
        shop_id="shop-1",
        region="UK",
        currency="GBP",
        occurred_at=T0,
        paid_total=1_000,
        legs=LEGS,
        release_terms=ReleaseTerms(
            after_sales_window_days=14, release_rule="next_day", min_payout=1_000
        ),
    ),
    ledger_v1.LedgerOrderDelivered(
        order_id="o-1", shop_id="shop-1", currency="GBP", delivered_at=T0
    ),
    ledger_v1.LedgerOrderReversed(
        order_id="o-1",
        shop_id="shop-1",
        currency="GBP",
        reason="refund",
        refund_id="r-1",
        phase="clawback",
        occurred_at=T0,
        amount=1_000,
        legs=LEGS,
    ),
    ledger_v1.LedgerOrderReleased(
        order_id="o-1", shop_id="shop-1", currency="GBP", released_at=T0, legs=LEGS
    ),
    ledger_v1.LedgerPayoutPosted(
        payout_id="p-1",
        party_type="creator",
        party_id="c-1",
        currency="GBP",
        amount=100,
        status="paid",
        occurred_at=T0,
    ),
]
Headers = list[tuple[str, bytes | None]]


def record(event: ledger_v1.LedgerEvent = EVENTS[0]) -> KafkaRecord:
    return ledger_v1.to_record(event, event_id="e-1", time=T0)


def outcome(decode: Callable[[], object]) -> object:
    try:
        return decode()
    except ValueError as error:
        return (type(error).__name__, str(error))


def both(key: bytes | None, value: bytes | None, headers: Headers) -> tuple[object, object]:
    def strict() -> tuple[str, ledger_v1.LedgerEvent]:
        envelope = from_kafka(key, value, headers)
        return envelope.id, ledger_v1.parse_envelope(envelope)

    return outcome(lambda: ledger_v1.decode_record(key, value, headers)), outcome(strict)


def with_header(headers: Headers, name: str, value: bytes | None) -> Headers:
    return [(n, value if n == name else v) for n, v in headers]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.TYPE)
def test_every_event_type_decodes_on_the_fast_path_as_the_strict_path_does(
    event: ledger_v1.LedgerEvent, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = record(event)
    strict_result = both(written.key, written.value, list(written.headers))[1]

    def no_strict_path(*_: object) -> None:
        raise AssertionError("a record as our producer writes it takes the fast path")

    monkeypatch.setattr(lean_decoding, "from_kafka", no_strict_path)
    assert ledger_v1.decode_record(written.key, written.value, written.headers) == strict_result
    assert strict_result == ("e-1", event)


@pytest.mark.parametrize(
    "value",
    [
        b'{"order_id":"o-1","order_id":"o-2"}',  # duplicate key at the top
        b'{"order_id":"o-1","legs":[{"amount":1,"amount":2}]}',  # duplicate key inside
        b'{"order_id": "o-1", "order_id": "o-1"}',  # duplicate, and not compact
        b'{"order_id":"o-1","amount":NaN}',
        b'{"order_id":"\\ud800"}',  # a lone surrogate through an escape
        b"[1, 2]",
        b"not json",
        b"\xff",
    ],
)
def test_a_body_the_strict_path_refuses_is_refused_with_the_same_error(value: bytes) -> None:
    written = record()
    lean, strict = both(written.key, value, list(written.headers))
    assert lean == strict
    assert isinstance(strict, tuple) and strict[0] == "MalformedEventError"


def test_a_valid_body_written_otherwise_than_compactly_is_still_accepted() -> None:
    written = record(EVENTS[1])
    spaced = written.value.replace(b",", b", ").replace(b'"shop-1"', b'"shop\\u002d1"')
    lean, strict = both(written.key, spaced, list(written.headers))
    assert lean == strict == ("e-1", EVENTS[1])


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ce_time", b"yesterday"),
        ("ce_time", None),
        ("ce_id", b""),
        ("ce_type", b"ledger.unknown"),
        ("ce_schemaversion", b"2"),
        ("ce_schemaversion", b"01"),
        ("ce_specversion", b"0.3"),
        ("content-type", b"application/json; charset=utf-8"),
        ("content-type", b"text/plain"),
    ],
)
def test_headers_are_held_to_the_same_rules(name: str, value: bytes | None) -> None:
    written = record()
    lean, strict = both(written.key, written.value, with_header(list(written.headers), name, value))
    assert lean == strict


def test_a_missing_header_a_missing_key_and_a_foreign_key_are_refused_alike() -> None:
    written = record()
    headers: Headers = list(written.headers)
    cases = [
        (written.key, written.value, [(n, v) for n, v in headers if n != "ce_source"]),
        (None, written.value, headers),
        (b"o-2", written.value, headers),
        (written.key, None, headers),
    ]
    for key, value, case_headers in cases:
        lean, strict = both(key, value, case_headers)
        assert lean == strict
        assert isinstance(strict, tuple)
