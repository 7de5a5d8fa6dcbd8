"""CloudEvents 1.0 envelopes in the Kafka protocol binding's binary mode.

On the wire an event is one Kafka record: the key is the partition key (an order id, or a payee key
from `shared.events.common.payee_key`), the value is the event data as compact UTF-8 JSON, and the
context attributes travel as headers:

| header             | value                                                  |
|--------------------|--------------------------------------------------------|
| `ce_specversion`   | `1.0`                                                  |
| `ce_id`            | event id; producers use UUIDs, so consumers dedupe on it |
| `ce_source`        | producing service, e.g. `/settlement/orders`          |
| `ce_type`          | e.g. `order.placed`                                    |
| `ce_time`          | RFC 3339 in UTC with `Z`                               |
| `ce_subject`       | only when the envelope has a subject                   |
| `ce_schemaversion` | extension: positive decimal integer, version of `data` |
| `content-type`     | `application/json`                                     |

Schema version: we carry an integer `schemaversion` extension rather than `ce_dataschema`. The major
version is the topic name (`orders.v1`); within a topic, data changes are additive and old versions
are upcast on read (see each topic module's `upcast`), which needs an integer to compare, not a URI
to parse.

Reading is strict about what we write (every header above except `ce_subject` is required, the body
must be a JSON object without duplicate keys or NaN/Infinity) and tolerant of what we do not own:
other headers, such as tracing or unknown `ce_` extensions, are ignored.

Nothing here reads a clock or makes ids: callers pass `event_id` and `time`.
"""

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, NoReturn

import msgspec
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from shared.events import rfc3339

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
CONTENT_TYPE_HEADER = "content-type"
_REQUIRED_HEADERS = (
    "ce_specversion",
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_time",
    "ce_schemaversion",
    CONTENT_TYPE_HEADER,
)
_DIGITS = frozenset("0123456789")
_FRESH_JSON = "fresh_json_data"
"""Validation context flag of `from_kafka`: `data` was just decoded from JSON (so holds JSON
types only and is shared with nobody): the validator skips walking and copying it."""


class MalformedEventError(ValueError):
    """A Kafka record that is not one of our CloudEvents; `reason` says why, for the DLQ."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _utf8_encodable(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(f"text is not encodable as UTF-8: {error.reason}") from None
    return text


Text = Annotated[str, Field(min_length=1), AfterValidator(_utf8_encodable)]


class Envelope(BaseModel):
    """One event with its CloudEvents context; `data` holds JSON values only.

    `time` is normalised to UTC so that an envelope read back from Kafka equals the one written.
    `data` is copied on construction, so later changes to the caller's dict do not leak in.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    id: Text
    source: Text
    type: Text
    subject: Text | None = None
    time: AwareDatetime
    schemaversion: int = Field(ge=1)
    key: Text
    data: dict[str, Any]

    @field_validator("time")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @field_validator("data")
    @classmethod
    def _json_only(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if info.context is not None and info.context.get(_FRESH_JSON) is True:
            return value  # just decoded by `from_kafka`: JSON types only, nobody else holds it
        copied: dict[str, Any] = _json_copy(value, "data")
        return copied


def _json_copy(value: object, path: str) -> Any:
    """A deep copy of `value` if it is made only of JSON types, else ValueError naming the path."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path} is {value}, which JSON cannot carry")
        return value
    if isinstance(value, str):
        return _utf8_encodable(value)
    if isinstance(value, list):
        return [_json_copy(item, f"{path}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, dict):
        copied: dict[str, Any] = {}
        for name, item in value.items():
            if not isinstance(name, str):
                raise ValueError(f"{path} has a non-string key {name!r}")
            copied[_utf8_encodable(name)] = _json_copy(item, f"{path}.{name}")
        return copied
    raise ValueError(f"{path} is a {type(value).__name__}, which is not a JSON value")


@dataclass(frozen=True, slots=True)
class KafkaRecord:
    """What a producer sends; the topic is chosen by the caller."""

    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def new_envelope(
    type: str,
    source: str,
    key: str,
    data: Mapping[str, Any] | BaseModel,
    *,
    event_id: str,
    time: datetime,
    subject: str | None = None,
    schemaversion: int = 1,
) -> Envelope:
    """Build an envelope; a pydantic model as `data` is dumped in JSON mode.

    Prefer the topic modules' `to_envelope(event, ...)`, which fills type, source, key and schema
    version from the event itself. Raises pydantic.ValidationError on invalid input.
    """
    payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else dict(data)
    return Envelope(
        id=event_id,
        source=source,
        type=type,
        subject=subject,
        time=time,
        schemaversion=schemaversion,
        key=key,
        data=payload,
    )


def to_kafka(envelope: Envelope) -> KafkaRecord:
    """Encode an envelope as a binary-mode record (headers in a fixed order)."""
    value = json.dumps(envelope.data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return KafkaRecord(
        key=envelope.key.encode("utf-8"),
        value=value.encode("utf-8"),
        headers=_headers(
            envelope.id,
            envelope.source,
            envelope.type,
            envelope.time,
            envelope.subject,
            envelope.schemaversion,
        ),
    )


def record_of_model(
    type: str,
    source: str,
    key: str,
    data: BaseModel,
    *,
    event_id: str,
    time: datetime,
    subject: str | None = None,
    schemaversion: int = 1,
) -> KafkaRecord:
    """``to_kafka(new_envelope(...))`` for data that is a validated pydantic model, without
    building and re-validating the envelope: the model's own JSON is the record value.

    For models whose JSON dump has no floats (ints, strings, datetimes, lists, objects): then
    the bytes equal what ``to_kafka`` writes. Raises ValueError where ``new_envelope`` would
    refuse the context (empty id, source, type or key; naive time; schema version < 1).
    """
    return record_of_json(
        type,
        source,
        key,
        data.__pydantic_serializer__.to_json(data),
        event_id=event_id,
        time=time,
        subject=subject,
        schemaversion=schemaversion,
    )


def record_of_json(
    type: str,
    source: str,
    key: str,
    value: bytes,
    *,
    event_id: str,
    time: datetime,
    subject: str | None = None,
    schemaversion: int = 1,
) -> KafkaRecord:
    """A record whose value is already the compact UTF-8 JSON object of valid event data, as
    ``to_kafka`` would write it (the caller vouches for both: nothing is parsed or validated
    here). For producers that encode straight from their own types on a hot path. Raises
    ValueError where ``new_envelope`` would refuse the context."""
    if not (event_id and source and type and key) or subject == "" or schemaversion < 1:
        raise ValueError("an envelope needs a non-empty id, source, type and key")
    if time.tzinfo is None or time.utcoffset() is None:
        raise ValueError("an envelope needs an aware time")
    return KafkaRecord(
        key=key.encode("utf-8"),
        value=value,
        headers=_headers(event_id, source, type, time, subject, schemaversion),
    )


def to_kafka_headers(
    event_id: str,
    source: str,
    type: str,
    time: datetime,
    subject: str | None,
    schemaversion: int,
) -> list[tuple[str, bytes]]:
    """The headers ``to_kafka`` writes for this context, in its order (no checks)."""
    return _headers(event_id, source, type, time, subject, schemaversion)


def _headers(
    event_id: str,
    source: str,
    type: str,
    time: datetime,
    subject: str | None,
    schemaversion: int,
) -> list[tuple[str, bytes]]:
    headers = [
        ("ce_specversion", SPEC_VERSION),
        ("ce_id", event_id),
        ("ce_source", source),
        ("ce_type", type),
        ("ce_time", rfc3339.format_utc(time)),
    ]
    if subject is not None:
        headers.append(("ce_subject", subject))
    headers.append(("ce_schemaversion", str(schemaversion)))
    headers.append((CONTENT_TYPE_HEADER, CONTENT_TYPE))
    return [(name, text.encode("utf-8")) for name, text in headers]


def from_kafka(
    key: bytes | None,
    value: bytes | None,
    headers: Iterable[tuple[str, bytes | None]],
) -> Envelope:
    """Decode a binary-mode record; raises MalformedEventError with the first problem found."""
    found = _decode_headers(headers)
    missing = [name for name in _REQUIRED_HEADERS if name not in found]
    if missing:
        _malformed(f"missing header {', '.join(missing)}")
    if found["ce_specversion"] != SPEC_VERSION:
        _malformed(f"header ce_specversion must be {SPEC_VERSION}, got {found['ce_specversion']!r}")
    _check_content_type(found[CONTENT_TYPE_HEADER])
    try:
        time = rfc3339.parse(found["ce_time"])
    except ValueError as error:
        _malformed(f"header ce_time: {error}")
    schemaversion = _schema_version(found["ce_schemaversion"])
    decoded_key = _decode_key(key)
    data = _decode_data(value)
    # `json.loads` yields JSON types only; a string can fail UTF-8 only through a `\u` escape (a
    # lone surrogate), so only then is `data` walked again.
    fresh = value is not None and b"\\u" not in value
    try:
        return Envelope.model_validate(
            {
                "id": found["ce_id"],
                "source": found["ce_source"],
                "type": found["ce_type"],
                "subject": found.get("ce_subject"),
                "time": time,
                "schemaversion": schemaversion,
                "key": decoded_key,
                "data": data,
            },
            context={_FRESH_JSON: True} if fresh else None,
        )
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()
        )
        _malformed(f"invalid envelope: {problems}")


@dataclass(frozen=True, slots=True)
class RecordContext:
    """A record's CloudEvents context, checked as ``from_kafka`` checks it (``time`` in UTC),
    and its value still undecoded."""

    id: str
    source: str
    type: str
    subject: str | None
    time: datetime
    schemaversion: int
    key: str
    value: bytes


def read_context(
    key: bytes | None,
    value: bytes | None,
    headers: Iterable[tuple[str, bytes | None]],
) -> RecordContext:
    """The context of a binary-mode record without decoding its data; raises
    MalformedEventError for what ``from_kafka`` would refuse in the headers, key or value.

    The data still has to be decoded (``compact_json_object``, or ``from_kafka``)."""
    found = _decode_headers(headers)
    missing = [name for name in _REQUIRED_HEADERS if name not in found]
    if missing:
        _malformed(f"missing header {', '.join(missing)}")
    if found["ce_specversion"] != SPEC_VERSION:
        _malformed(f"header ce_specversion must be {SPEC_VERSION}, got {found['ce_specversion']!r}")
    if found[CONTENT_TYPE_HEADER] != CONTENT_TYPE:  # what we write needs no parsing
        _check_content_type(found[CONTENT_TYPE_HEADER])
    try:
        time = rfc3339.parse(found["ce_time"]).astimezone(UTC)
    except ValueError as error:
        _malformed(f"header ce_time: {error}")
    subject = found.get("ce_subject")
    for name in ("ce_id", "ce_source", "ce_type"):
        if not found[name]:
            _malformed(f"invalid envelope: header {name} is empty")
    if subject == "":
        _malformed("invalid envelope: header ce_subject is empty")
    if value is None:
        _malformed("record has no value")
    return RecordContext(
        id=found["ce_id"],
        source=found["ce_source"],
        type=found["ce_type"],
        subject=subject,
        time=time,
        schemaversion=_schema_version(found["ce_schemaversion"]),
        key=_decode_key(key),
        value=value,
    )


_COMPACT_DECODER = msgspec.json.Decoder()
_COMPACT_ENCODER = msgspec.json.Encoder()


def compact_json_object(value: bytes) -> dict[str, Any] | None:
    """The JSON object ``value`` holds when it is written exactly as our producers write data
    (compact UTF-8 JSON, as ``to_kafka`` writes it); None for anything else, which the caller
    decodes with ``from_kafka`` (strict, and says what is wrong).

    Decoding and encoding again must give back the same bytes, which a duplicate key (dropped by
    the decoder), NaN, whitespace, an escaped character or a float in another spelling all
    prevent; so whatever this returns, ``from_kafka`` would have decoded to the same dict.
    """
    if b"\\u" in value:
        return None  # an escape may hide a lone surrogate: from_kafka checks every string
    try:
        decoded = _COMPACT_DECODER.decode(value)
    except (msgspec.DecodeError, RecursionError):
        return None
    if type(decoded) is not dict or _COMPACT_ENCODER.encode(decoded) != value:
        return None
    return decoded


def _malformed(reason: str) -> NoReturn:
    raise MalformedEventError(reason)


def _decode_headers(headers: Iterable[tuple[str, bytes | None]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = raw_name.lower()
        if not (name.startswith("ce_") or name == CONTENT_TYPE_HEADER):
            continue
        if name in found:
            _malformed(f"header {name} appears more than once")
        if raw_value is None:
            _malformed(f"header {name} has no value")
        try:
            found[name] = raw_value.decode("utf-8")
        except UnicodeDecodeError:
            _malformed(f"header {name} is not UTF-8")
    return found


def _check_content_type(content_type: str) -> None:
    media_type, *parameters = (part.strip().lower() for part in content_type.split(";"))
    charset_ok = all(
        not parameter.startswith("charset=") or parameter in ("charset=utf-8", 'charset="utf-8"')
        for parameter in parameters
    )
    if media_type != CONTENT_TYPE or not charset_ok:
        _malformed(f"header {CONTENT_TYPE_HEADER} must be {CONTENT_TYPE}, got {content_type!r}")


def _schema_version(text: str) -> int:
    if not text or len(text) > 9 or not set(text) <= _DIGITS or text.startswith("0"):
        _malformed(f"header ce_schemaversion must be a positive integer, got {text!r}")
    return int(text)


def _decode_key(key: bytes | None) -> str:
    if not key:
        _malformed("record has no key")
    try:
        return key.decode("utf-8")
    except UnicodeDecodeError:
        _malformed("record key is not UTF-8")


def _decode_data(value: bytes | None) -> dict[str, Any]:
    if value is None:
        _malformed("record has no value")
    try:
        decoded = _STRICT_JSON.decode(value.decode("utf-8"))
    except UnicodeDecodeError:
        _malformed("record value is not UTF-8")
    except (ValueError, RecursionError) as error:
        _malformed(f"record value is not JSON: {error}")
    if not isinstance(decoded, dict):
        _malformed(f"record value must be a JSON object, got {type(decoded).__name__}")
    return decoded


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        names = [name for name, _ in pairs]
        duplicate = next(name for name in names if names.count(name) > 1)
        raise ValueError(f"duplicate key {duplicate!r}")
    return result


def _reject_constant(constant: str) -> NoReturn:
    raise ValueError(f"{constant} is not a JSON number")


_STRICT_JSON = json.JSONDecoder(
    object_pairs_hook=_object_without_duplicates, parse_constant=_reject_constant
)
"""Built once (``json.loads`` with hooks builds a decoder per call)."""
