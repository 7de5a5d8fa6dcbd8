"""The orders service's OpenAPI document is self-consistent (tools such as schemathesis read it)."""

from typing import Any

from services.orders.app import create_app
from services.orders.settings import OrdersSettings


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []


def test_every_reference_in_the_openapi_document_resolves() -> None:
    spec = create_app(OrdersSettings()).openapi()
    schemas = spec["components"]["schemas"]

    refs = _refs(spec)

    assert refs
    assert [ref for ref in refs if ref.removeprefix("#/components/schemas/") not in schemas] == []


def test_the_webhook_endpoint_documents_its_signed_json_body() -> None:
    spec = create_app(OrdersSettings()).openapi()

    body = spec["paths"]["/v1/shops/{shop_id}/webhooks"]["post"]["requestBody"]
    variants = body["content"]["application/json"]["schema"]["oneOf"]

    assert sorted(v["properties"]["type"]["const"] for v in variants) == [
        "order.cancelled",
        "order.delivered",
        "order.placed",
        "order.refunded",
    ]
