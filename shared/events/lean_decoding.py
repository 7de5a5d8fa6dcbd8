"""Decoding a topic's records in one pass: record -> validated event model, nothing in between.

``from_kafka`` + ``parse_envelope`` build an ``Envelope`` model, copy the data to upcast it and
validate it again. ``TopicDecoder`` checks the same context (``read_context``), decodes the value
once (``compact_json_object``: duplicate keys are still refused) and validates it with the
topic's own event model, the one schema of each event. Records that are not in the form our
producers write, or at an older schema version (upcast first), take the strict path instead, so
the result and the errors are those of ``parse_envelope(from_kafka(...))``.

Every failure is a ValueError (MalformedEventError, UnknownEventTypeError, ValidationError...),
so a consumer dead-letters a poison record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Generic, TypeVar

from shared.events.common import EventModel, UnknownEventTypeError
from shared.events.envelope import (
    Envelope,
    MalformedEventError,
    compact_json_object,
    from_kafka,
    read_context,
)

E = TypeVar("E", bound=EventModel)


class TopicDecoder(Generic[E]):
    """Decodes records of one topic, e.g.
    ``TopicDecoder(orders_v1.TOPIC, orders_v1.EVENT_TYPES, orders_v1.SCHEMA_VERSION,
    orders_v1.parse_envelope)``."""

    def __init__(
        self,
        topic: str,
        event_types: Mapping[str, type[E]],
        version: int,
        parse_envelope: Callable[[Envelope], E],
    ) -> None:
        self._topic = topic
        self._validators = {name: model.model_validate for name, model in event_types.items()}
        self._version = version
        self._parse_envelope = parse_envelope

    def __call__(
        self,
        key: bytes | None,
        value: bytes | None,
        headers: Iterable[tuple[str, bytes | None]],
    ) -> tuple[str, E]:
        """(CloudEvents id, event) of one record."""
        headers = tuple(headers)
        try:
            context = read_context(key, value, headers)
        except MalformedEventError:
            return self._strictly(key, value, headers)  # it says what is wrong, in its words
        data = compact_json_object(context.value)
        if data is None or context.schemaversion != self._version:
            return self._strictly(key, value, headers)
        validate = self._validators.get(context.type)
        if validate is None:
            raise UnknownEventTypeError(self._topic, context.type)
        event = validate(data)
        if event.record_key != context.key:
            raise MalformedEventError(
                f"record key {context.key!r} does not match {event.TYPE} key {event.record_key!r}"
            )
        return context.id, event

    def _strictly(
        self, key: bytes | None, value: bytes | None, headers: tuple[tuple[str, bytes | None], ...]
    ) -> tuple[str, E]:
        envelope = from_kafka(key, value, headers)
        return envelope.id, self._parse_envelope(envelope)
