"""One versioned topic: its event models, upcasters and (de)serialisation, shared by the three
topic modules so each only declares its events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from shared.events.common import (
    EventModel,
    Upcaster,
    envelope_of,
    parse_event,
    registry_of,
    require_matching_key,
    upcast_data,
)
from shared.events.envelope import Envelope, KafkaRecord, record_of_model

E = TypeVar("E", bound=EventModel)


class TopicSchema(Generic[E]):
    def __init__(
        self,
        *,
        topic: str,
        source: str,
        version: int,
        models: tuple[type[E], ...],
        upcasters: Mapping[int, Upcaster] | None = None,
    ) -> None:
        self.topic = topic
        self.source = source
        self.version = version
        self.event_types: Mapping[str, type[E]] = MappingProxyType(registry_of(*models))
        self._upcasters: Mapping[int, Upcaster] = MappingProxyType(dict(upcasters or {}))

    def upcast(self, type_name: str, version: int, data: Mapping[str, Any]) -> dict[str, Any]:
        """Bring data written at `version` to the current version (identity while only v1)."""
        return upcast_data(
            topic=self.topic,
            current=self.version,
            steps=self._upcasters,
            type_name=type_name,
            version=version,
            data=data,
        )

    def parse(self, type_name: str, data: Mapping[str, Any], *, version: int | None = None) -> E:
        """Upcast and validate; raises UnknownEventTypeError, UnsupportedSchemaVersionError or
        pydantic.ValidationError (all ValueError)."""
        current = self.upcast(type_name, self.version if version is None else version, data)
        return parse_event(
            topic=self.topic, registry=self.event_types, type_name=type_name, data=current
        )

    def parse_envelope(self, envelope: Envelope) -> E:
        """The event in an envelope read from this topic; also refuses a mismatched record key."""
        event = self.parse(envelope.type, envelope.data, version=envelope.schemaversion)
        require_matching_key(envelope, event)
        return event

    def to_envelope(
        self, event: E, *, event_id: str, time: datetime, subject: str | None = None
    ) -> Envelope:
        """Wrap an event for publishing on this topic; `time` is when it was recorded."""
        return envelope_of(
            event,
            source=self.source,
            schema_version=self.version,
            event_id=event_id,
            time=time,
            subject=subject,
        )

    def to_record(
        self, event: E, *, event_id: str, time: datetime, subject: str | None = None
    ) -> KafkaRecord:
        """``to_kafka(self.to_envelope(...))`` without re-validating the already validated
        event (see ``record_of_model``): the same bytes, a fraction of the cost."""
        return record_of_model(
            event.TYPE,
            self.source,
            event.record_key,
            event,
            event_id=event_id,
            time=time,
            subject=subject,
            schemaversion=self.version,
        )
