"""A party's money stays private (DOMAIN.md), on the three real services (subprocesses on
PostgreSQL and Kafka) after settled business: the worked example's shop, creator and agency,
orders paid out, clawed back, waiting and cancelled.

A creator or an agency token sees only its own postings, holds and payouts; the order's merchant
and the admin see everything; a caller that is no party to an order gets exactly the answer of an
order that does not exist.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.infra import unique_name
from tests.support.service_stack import Stack, running_stack
from tests.support.settled_stack import Settled, settle

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Scene:
    stack: Stack
    settled: Settled
    tokens: dict[str, dict[str, str]]  # who -> Authorization header

    def get(self, service: str, path: str, who: str, **params: str) -> httpx.Response:
        url = f"{getattr(self.stack.endpoints, service)}{path}"
        return httpx.get(url, params=params, headers=self.tokens[who], timeout=30)


@pytest.fixture(scope="module")
async def scene(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Scene]:
    async with running_stack(tmp_path_factory.mktemp("services")) as stack:
        try:
            settled = await asyncio.to_thread(settle, stack)
            tokens = {"admin": {"Authorization": f"Bearer {stack.endpoints.admin_token}"}}
            for who, party in {
                "merchant": ("merchant", settled.shop_id),
                "creator": ("creator", settled.creator_id),
                "agency": ("agency", settled.agency_id),
                "other_creator": ("creator", unique_name("creator")),
                "other_agency": ("agency", unique_name("mcn")),
                "other_merchant": ("merchant", unique_name("shop")),
            }.items():
                tokens[who] = await asyncio.to_thread(_issue, stack, *party)
            yield Scene(stack, settled, tokens)
        except Exception as error:
            raise AssertionError(f"{error}\n{stack.log_tails()}") from error


def _issue(stack: Stack, party_type: str, party_id: str) -> dict[str, str]:
    response = httpx.post(
        f"{stack.endpoints.orders}/v1/tokens",
        json={"party_type": party_type, "party_id": party_id},
        headers={"Authorization": f"Bearer {stack.endpoints.admin_token}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _parties(entries: list[dict[str, Any]]) -> set[tuple[str, str]]:
    parties = set()
    for entry in entries:
        for posting in entry["postings"]:
            party_type, party_id, *_ = posting["account"].split("/")
            parties.add((party_type, party_id))
    return parties


def _like_missing(scene: Scene, service: str, path: str, order_id: str, who: str) -> None:
    """``who`` gets for ``order_id`` exactly what it gets for an order that does not exist."""
    missing_id = unique_name("missing")
    hidden = scene.get(service, path.format(order_id), who)
    missing = scene.get(service, path.format(missing_id), who)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.headers["content-type"] == missing.headers["content-type"]
    assert json.loads(hidden.text.replace(order_id, missing_id)) == missing.json()


ENTRIES = "/v1/orders/{}/entries"
HOLDS = "/v1/holds/{}"
ORDERS = "/v1/orders/{}"


async def test_an_orders_entries_show_a_creator_or_an_agency_only_its_own_postings(
    scene: Scene,
) -> None:
    settled = scene.settled
    for role in ("paid", "clawed"):
        order_id = settled.orders[role]
        admin = await asyncio.to_thread(scene.get, "ledger", ENTRIES.format(order_id), "admin")
        creator = await asyncio.to_thread(scene.get, "ledger", ENTRIES.format(order_id), "creator")
        agency = await asyncio.to_thread(scene.get, "ledger", ENTRIES.format(order_id), "agency")

        assert admin.status_code == creator.status_code == agency.status_code == 200
        everyone = _parties(admin.json()["entries"])
        assert {"merchant", "creator", "agency", "platform"} <= {p for p, _ in everyone}
        assert _parties(creator.json()["entries"]) == {("creator", settled.creator_id)}
        assert _parties(agency.json()["entries"]) == {("agency", settled.agency_id)}
        for seen in (creator.json(), agency.json()):
            placed = next(e for e in seen["entries"] if e["kind"] == "order_placed")
            assert set(placed["details"]) == {"lines", "commission", "commission_shortfall"}
            for entry in seen["entries"]:
                assert entry["postings"], "an entry moving none of the caller's money is hidden"
                assert "paid_total" not in entry["details"]
                assert "refunded_after" not in entry["details"]
                assert "reversed_before_release" not in entry["details"]
        creator_net = sum(
            p["amount"]
            for e in creator.json()["entries"]
            if e["kind"] == "order_placed"
            for p in e["postings"]
        )
        assert creator_net == 516  # the worked example's creator net


async def test_the_orders_merchant_and_the_admin_see_every_entry_whole(scene: Scene) -> None:
    order_id = scene.settled.orders["paid"]
    admin = await asyncio.to_thread(scene.get, "ledger", ENTRIES.format(order_id), "admin")
    merchant = await asyncio.to_thread(scene.get, "ledger", ENTRIES.format(order_id), "merchant")

    assert merchant.status_code == 200 and merchant.json() == admin.json()
    placed = next(e for e in admin.json()["entries"] if e["kind"] == "order_placed")
    assert placed["details"]["paid_total"] == 4299


async def test_an_order_the_caller_is_no_party_to_answers_exactly_like_a_missing_one(
    scene: Scene,
) -> None:
    order_id = scene.settled.orders["paid"]
    for who in ("other_creator", "other_agency", "other_merchant"):
        for service, path in (("ledger", ENTRIES), ("payouts", HOLDS), ("orders", ORDERS)):
            await asyncio.to_thread(_like_missing, scene, service, path, order_id, who)


async def test_a_hold_shows_a_creator_or_an_agency_only_its_own_leg(scene: Scene) -> None:
    settled = scene.settled
    order_id = settled.orders["waiting"]
    seen = {
        who: await asyncio.to_thread(scene.get, "payouts", HOLDS.format(order_id), who)
        for who in ("admin", "merchant", "creator", "agency")
    }

    assert {who: r.status_code for who, r in seen.items()} == dict.fromkeys(seen, 200)
    assert seen["merchant"].json() == seen["admin"].json()
    assert {a["party_type"] for a in seen["admin"].json()["amounts"]} >= {
        "merchant",
        "creator",
        "agency",
    }
    assert seen["creator"].json()["amounts"] == [
        {"party_type": "creator", "party_id": settled.creator_id, "amount": 516}
    ]
    assert seen["agency"].json()["amounts"] == [
        {"party_type": "agency", "party_id": settled.agency_id, "amount": 129}
    ]
    assert seen["creator"].json()["status"] == seen["admin"].json()["status"]


async def test_an_order_shows_a_creator_its_lines_but_not_the_totals(scene: Scene) -> None:
    order_id = scene.settled.orders["clawed"]
    seen = {
        who: await asyncio.to_thread(scene.get, "orders", ORDERS.format(order_id), who)
        for who in ("admin", "merchant", "creator", "agency")
    }

    assert seen["merchant"].json() == seen["admin"].json()
    assert seen["admin"].json()["paid_total"] == 4299
    for who in ("creator", "agency"):
        order = seen[who].json()
        assert order["lines"] == seen["admin"].json()["lines"]
        assert (order["paid_total"], order["refunded_total"], order["terms"]) == (None, None, None)
        assert [r["amount"] for r in order["refunds"]] == [None]
    assert seen["creator"].json()["agency"] == {"agency_id": scene.settled.agency_id}
    assert seen["agency"].json()["agency"]["share_bps"] == 2000


async def test_payouts_balances_and_statements_answer_a_party_only_its_own(scene: Scene) -> None:
    settled = scene.settled

    def read() -> dict[str, httpx.Response]:
        return {
            "merchant_payouts": scene.get("payouts", "/v1/payouts", "merchant"),
            "creator_payouts": scene.get("payouts", "/v1/payouts", "creator"),
            "creator_asks_merchants": scene.get(
                "payouts",
                "/v1/payouts",
                "creator",
                party_type="merchant",
                party_id=settled.shop_id,
            ),
            "creator_balance_of_merchant": scene.get(
                "ledger", f"/v1/balances/merchant/{settled.shop_id}", "creator"
            ),
            "merchant_statement_of_creator": scene.get(
                "ledger", f"/v1/statements/creator/{settled.creator_id}", "merchant"
            ),
            "creator_statement": scene.get(
                "ledger", f"/v1/statements/creator/{settled.creator_id}", "creator"
            ),
            "reconciliation": scene.get("payouts", "/v1/reconciliation", "merchant"),
        }

    seen = await asyncio.to_thread(read)

    assert [p["payout_id"] for p in seen["merchant_payouts"].json()["payouts"]] == [
        settled.merchant_payout_id
    ]
    assert all(
        (p["party_type"], p["party_id"]) == ("creator", settled.creator_id)
        for p in seen["creator_payouts"].json()["payouts"]
    )
    forbidden = (
        "creator_asks_merchants",
        "creator_balance_of_merchant",
        "merchant_statement_of_creator",
        "reconciliation",
    )
    assert {name: seen[name].status_code for name in forbidden} == dict.fromkeys(forbidden, 403)
    statement = seen["creator_statement"].json()
    assert statement["party_id"] == settled.creator_id and statement["lines"]


# Every endpoint enforces its body size limit before authenticating or parsing (413).

GIB = 1 << 30


async def raw_exchange(
    base_url: str, request_head: str, body: bytes, timeout_s: float = 5
) -> tuple[int, dict[str, str], bytes]:
    """Send ``request_head`` and ``body`` on a fresh connection and read the answer until the
    server closes it; fails when none comes within ``timeout_s``."""
    host, port = httpx.URL(base_url).host, httpx.URL(base_url).port
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request_head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout_s)
    finally:
        writer.close()
    head, _, content = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, content


def head(method: str, path: str, token: str | None, *extra: str) -> str:
    lines = [f"{method} {path} HTTP/1.1", "Host: settlement", "Content-Type: application/json"]
    if token is not None:
        lines.append(f"Authorization: Bearer {token}")
    return "\n".join([*lines, *extra]) + "\n"


def chunked(body: bytes, size: int = 16 * 1024) -> bytes:
    parts = [body[n : n + size] for n in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"


async def test_a_body_declared_at_a_gibibyte_gets_413_at_once_on_every_service(
    scene: Scene,
) -> None:
    endpoints = scene.stack.endpoints
    shop = scene.settled.shop_id
    targets = [
        (endpoints.orders, "POST", "/v1/shops", 64 * 1024),
        (endpoints.orders, "POST", "/v1/tokens", 64 * 1024),
        (endpoints.orders, "POST", f"/v1/shops/{shop}/plans", 64 * 1024),
        (endpoints.orders, "POST", f"/v1/shops/{shop}/webhooks", 256 * 1024),
        (endpoints.ledger, "GET", f"/v1/balances/merchant/{shop}", 64 * 1024),
        (endpoints.payouts, "POST", "/v1/payout-runs", 64 * 1024),
    ]
    for base_url, method, path, limit in targets:
        for token in (None, endpoints.admin_token):
            declared = f"Content-Length: {GIB}"
            status, headers, content = await raw_exchange(
                base_url, head(method, path, token, declared), b'{"shop_id": '
            )
            assert status == 413, (method, path, "with token" if token else "without")
            assert headers["content-type"] == "application/problem+json"
            problem = json.loads(content)
            assert problem["type"].endswith("/payload-too-large")
            assert problem["limit_bytes"] == limit


async def test_a_chunked_body_over_the_limit_gets_413_and_nothing_is_recorded(
    scene: Scene,
) -> None:
    endpoints = scene.stack.endpoints
    token = endpoints.admin_token
    shop_id = unique_name("oversized")
    padded = json.dumps({"shop_id": shop_id, "region": "UK"}).encode() + b" " * (64 * 1024)
    webhook = b'{"type": "order.placed", "data": {"note": "' + b"x" * (256 * 1024) + b'"}}'
    chunking = "Transfer-Encoding: chunked"

    shops = await raw_exchange(
        endpoints.orders, head("POST", "/v1/shops", token, chunking), chunked(padded)
    )
    hooks = await raw_exchange(
        endpoints.orders,
        head("POST", f"/v1/shops/{scene.settled.shop_id}/webhooks", None, chunking),
        chunked(webhook),
    )

    assert (shops[0], hooks[0]) == (413, 413)
    assert json.loads(shops[2])["limit_bytes"] == 64 * 1024
    assert json.loads(hooks[2])["limit_bytes"] == 256 * 1024
    plans = await asyncio.to_thread(scene.get, "orders", f"/v1/shops/{shop_id}/plans", "admin")
    assert plans.status_code == 404  # the shop was never created


async def test_bodies_under_the_limit_still_work_chunked_or_not(scene: Scene) -> None:
    endpoints = scene.stack.endpoints
    token = endpoints.admin_token
    shop_id = unique_name("chunked")
    body = json.dumps({"shop_id": shop_id, "region": "UK"}).encode() + b" " * 1000
    chunking, closing = "Transfer-Encoding: chunked", "Connection: close"
    created = await raw_exchange(
        endpoints.orders, head("POST", "/v1/shops", token, chunking, closing), chunked(body, 100)
    )
    token_body = json.dumps({"party_type": "merchant", "party_id": shop_id}).encode()
    issued = await raw_exchange(
        endpoints.orders,
        head("POST", "/v1/tokens", token, f"Content-Length: {len(token_body)}", closing),
        token_body,
    )

    assert created[0] == 201 and json.loads(created[2])["shop_id"] == shop_id
    assert issued[0] == 201 and json.loads(issued[2])["token"].startswith("rt2.")
