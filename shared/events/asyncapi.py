"""The AsyncAPI 3.0 description of the topics, generated from the pydantic schemas the code
uses (`python -m shared.events.asyncapi > docs/asyncapi.json`; a test keeps the file current)."""

from __future__ import annotations

import json
import sys
from types import ModuleType
from typing import Any

from shared.events import auth_v1, ledger_v1, orders_v1, payouts_v1

TOPIC_MODULES: tuple[ModuleType, ...] = (orders_v1, ledger_v1, payouts_v1, auth_v1)
_DESCRIPTIONS = {
    orders_v1.TOPIC: "Order facts accepted by the orders service from shop webhooks.",
    ledger_v1.TOPIC: "What the ledger posted: pending legs, reversals, releases, payouts.",
    payouts_v1.TOPIC: "Releases of held funds and the life of each payout.",
    auth_v1.TOPIC: "Revoked read tokens, read whole by every process of every service; "
    "compacted (latest record per key), records older than the longest token lifetime deleted.",
}
_CE_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "CloudEvents 1.0, Kafka protocol binding, binary content mode.",
    "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type"],
    "properties": {
        "ce_specversion": {"const": "1.0"},
        "ce_id": {"type": "string", "description": "unique event id; consumers dedupe on it"},
        "ce_source": {"type": "string", "examples": ["/settlement/orders"]},
        "ce_type": {"type": "string", "examples": ["order.placed"]},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_subject": {"type": "string"},
        "ce_schemaversion": {"type": "string", "description": "integer schema version of data"},
        "content-type": {"const": "application/json"},
    },
}


_REF = "#/components/schemas/{model}"


def _hoisted(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """Move a model schema's `$defs` into the document's components, where its refs point."""
    for name, definition in schema.pop("$defs", {}).items():
        if schemas.setdefault(name, definition) != definition:
            raise ValueError(f"two different schemas are named {name}")
    return schema


def _message_name(event_type: str) -> str:
    return event_type.replace(".", "_")


def build() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for module in TOPIC_MODULES:
        topic: str = module.TOPIC
        channel_id = topic.replace(".", "_")
        refs = {}
        for event_type, model in sorted(module.EVENT_TYPES.items()):
            name = _message_name(event_type)
            messages[name] = {
                "name": event_type,
                "title": event_type,
                "summary": (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else "",
                "contentType": "application/json",
                "headers": _CE_HEADERS,
                "payload": _hoisted(model.model_json_schema(ref_template=_REF), schemas),
                "bindings": {"kafka": {"key": {"type": "string"}}},
            }
            refs[name] = {"$ref": f"#/components/messages/{name}"}
        channels[channel_id] = {
            "address": topic,
            "description": _DESCRIPTIONS[topic],
            "messages": refs,
        }
        operations[f"publish_{channel_id}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "summary": f"{module.SOURCE} publishes {topic} (schema {module.SCHEMA_VERSION})",
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Settlement platform events",
            "version": "1.0.0",
            "description": "Topics of the orders, ledger and payouts services, and the revoked "
            "read tokens every service follows. Amounts are "
            "integer minor units of the event's currency; rates are integer basis points.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
