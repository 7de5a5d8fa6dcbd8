import json
import re
from pathlib import Path
from typing import Any

from shared.events import asyncapi, auth_v1, ledger_v1, orders_v1, payouts_v1

DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "asyncapi.json"


def test_the_committed_asyncapi_document_is_generated_from_the_current_schemas() -> None:
    assert DOCUMENT.read_text() == asyncapi.render(), "docs/asyncapi.json is stale: run `make docs`"


def test_every_event_type_of_every_topic_is_described_on_its_channel() -> None:
    document = asyncapi.build()
    for module in (orders_v1, ledger_v1, payouts_v1, auth_v1):
        channel = document["channels"][module.TOPIC.replace(".", "_")]
        assert channel["address"] == module.TOPIC
        described = {
            document["components"]["messages"][ref["$ref"].rsplit("/", 1)[1]]["name"]
            for ref in channel["messages"].values()
        }
        assert described == set(module.EVENT_TYPES)


def test_every_reference_in_the_document_resolves() -> None:
    document = asyncapi.build()
    text = json.dumps(document)
    for pointer in set(re.findall(r'"\\$ref": "#/([^"]+)"', text)):
        node: Any = document
        for part in pointer.split("/"):
            node = node[part]
        assert isinstance(node, dict)


def test_money_fields_are_integers_in_the_published_contract() -> None:
    placed = asyncapi.build()["components"]["messages"]["order_placed"]["payload"]
    assert placed["properties"]["shipping_fee"]["type"] == "integer"
