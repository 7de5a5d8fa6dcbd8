"""Who may call what, on every endpoint of the three real services (README "Operator API: who
sees whose money", "Tokens"; DOMAIN.md "A party's money stays private").

Every endpoint (each service's `/openapi.json`, plus the routes it leaves out of it: probes,
metrics, docs) is called by eleven principals: no token, a malformed one, an expired one, a
revoked one, the admin, and a merchant, a creator and an agency token each of the scene's own
party and of another. Each cell has an expected status; a refusal (401, 403, 404) is
problem+json naming none of the scene's ids or amounts the caller did not send, and echoing no
token. An endpoint without a row fails the test, so none is left out silently.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts

from services.ledger.app import create_app as ledger_app
from services.ledger.settings import LedgerSettings
from services.orders.app import create_app as orders_app
from services.orders.settings import OrdersSettings
from services.payouts.app import create_app as payouts_app
from services.payouts.settings import PayoutsSettings
from tests.support.private_scene import Scene, set_scene
from tests.support.service_stack import SERVICES, running_stack

pytestmark = pytest.mark.e2e

UNAUTHENTICATED = {  # principal -> the `reason` of its 401
    "none": "missing",
    "malformed": "malformed",
    "expired": "expired",
    "revoked": "revoked",
}
READERS = tuple(
    f"{party}_{whose}" for party in ("merchant", "creator", "agency") for whose in ("own", "other")
)
PRINCIPALS = (*UNAUTHENTICATED, "admin", *READERS)
REFUSALS = (401, 403, 404)

Expectation = dict[str, int]


def _expect(admin: int, readers: Callable[[str], int], unauthenticated: int = 401) -> Expectation:
    return {
        **dict.fromkeys(UNAUTHENTICATED, unauthenticated),
        "admin": admin,
        **{reader: readers(reader) for reader in READERS},
    }


def admin_only(ok: int = 200) -> Expectation:
    return _expect(ok, lambda _: 403)


def own_party_only() -> Expectation:
    """Party-keyed reads: a read token reads its own party only (403 for another)."""
    return _expect(200, lambda reader: 200 if reader.endswith("_own") else 403)


def parties_to_the_order() -> Expectation:
    """Order-keyed reads: an order the caller is no party to answers like a missing one."""
    return _expect(200, lambda reader: 200 if reader.endswith("_own") else 404)


def the_shops_merchant() -> Expectation:
    return _expect(200, lambda reader: 200 if reader == "merchant_own" else 403)


def public() -> Expectation:
    return _expect(200, lambda _: 200, unauthenticated=200)


def signed_only() -> Expectation:
    """Webhooks authenticate by their signature: no bearer token, the admin's included, signs."""
    return _expect(401, lambda _: 401)


@dataclass(frozen=True)
class Call:
    path: str
    params: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None

    def sent(self) -> str:
        """What the caller sends, which a refusal may echo."""
        return " ".join([self.path, json.dumps(self.params), json.dumps(self.body)])


Target = Callable[[Scene, str], Call]  # (scene, principal) -> what it calls


@dataclass(frozen=True)
class Row:
    expect: Expectation
    target: Target
    bearer: bool = True  # False: the `reason` of a 401 is not about the bearer token


def at(path: str, body: Callable[[Scene], dict[str, Any]] | None = None) -> Target:
    """`{shop}` and `{order}` are the scene's; `{party}` is the scene's party of the caller's
    type (a creator's for the admin and the unauthenticated: the expired and revoked tokens are
    the creator's own)."""

    def target(scene: Scene, principal: str) -> Call:
        party_type = principal.split("_")[0] if principal in READERS else "creator"
        party = f"{party_type}/{scene.party_ids[party_type]}"
        concrete = path.format(shop=scene.shop_id, order=scene.order_id, party=party)
        return Call(concrete, body=None if body is None else body(scene))

    return target


def payouts_of_the_party(scene: Scene, principal: str) -> Call:
    party_type = principal.split("_")[0] if principal in READERS else "creator"
    params = {"party_type": party_type, "party_id": scene.party_ids[party_type]}
    return Call("/v1/payouts", params=params)


def _revocation_rows(service: str) -> dict[tuple[str, str, str], Row]:
    nobody = f"matrix-nobody-{service}"
    return {
        (service, "POST", "/v1/tokens/revocations"): Row(
            admin_only(201), at("/v1/tokens/revocations", lambda _: {"token_id": "matrix-probe"})
        ),
        (service, "POST", "/v1/tokens/party-revocations"): Row(
            admin_only(201),
            at(
                "/v1/tokens/party-revocations",
                lambda _: {"party_type": "creator", "party_id": nobody},
            ),
        ),
    }


NOT_IN_SCHEMA: tuple[str, ...] = ("/livez", "/readyz", "/metrics", "/openapi.json")
NOT_IN_SCHEMA += ("/docs", "/docs/oauth2-redirect", "/redoc")

ROWS: dict[tuple[str, str, str], Row] = {
    # orders
    ("orders", "POST", "/v1/shops"): Row(
        admin_only(200),  # the scene's shop exists in that region: 200, idempotent
        at("/v1/shops", lambda s: {"shop_id": s.shop_id, "region": "UK"}),
    ),
    ("orders", "POST", "/v1/shops/{shop_id}/secrets:rotate"): Row(
        admin_only(), at("/v1/shops/{shop}/secrets:rotate")
    ),
    ("orders", "POST", "/v1/shops/{shop_id}/secrets:retire"): Row(
        admin_only(), at("/v1/shops/{shop}/secrets:retire")
    ),
    ("orders", "POST", "/v1/shops/{shop_id}/plans"): Row(
        admin_only(201), at("/v1/shops/{shop}/plans", lambda _: {"type": "shop", "rate_bps": 500})
    ),
    ("orders", "GET", "/v1/shops/{shop_id}/plans"): Row(
        the_shops_merchant(), at("/v1/shops/{shop}/plans")
    ),
    ("orders", "POST", "/v1/shops/{shop_id}/webhooks"): Row(
        signed_only(),
        at("/v1/shops/{shop}/webhooks", lambda s: s.unsigned_webhook),
        bearer=False,
    ),
    ("orders", "GET", "/v1/orders/{order_id}"): Row(
        parties_to_the_order(), at("/v1/orders/{order}")
    ),
    ("orders", "POST", "/v1/tokens"): Row(
        admin_only(201),
        at("/v1/tokens", lambda s: {"party_type": "creator", "party_id": s.party_ids["creator"]}),
    ),
    **_revocation_rows("orders"),
    # ledger
    ("ledger", "GET", "/v1/balances"): Row(admin_only(), at("/v1/balances")),
    ("ledger", "GET", "/v1/balances/{party_type}/{party_id}"): Row(
        own_party_only(), at("/v1/balances/{party}")
    ),
    ("ledger", "GET", "/v1/orders/{order_id}/entries"): Row(
        parties_to_the_order(), at("/v1/orders/{order}/entries")
    ),
    ("ledger", "GET", "/v1/trial-balance"): Row(admin_only(), at("/v1/trial-balance")),
    ("ledger", "GET", "/v1/statements/{party_type}/{party_id}"): Row(
        own_party_only(), at("/v1/statements/{party}")
    ),
    **_revocation_rows("ledger"),
    # payouts
    ("payouts", "GET", "/v1/holds/{order_id}"): Row(
        parties_to_the_order(), at("/v1/holds/{order}")
    ),
    ("payouts", "POST", "/v1/payout-runs"): Row(admin_only(201), at("/v1/payout-runs")),
    ("payouts", "GET", "/v1/payouts"): Row(own_party_only(), payouts_of_the_party),
    ("payouts", "GET", "/v1/reconciliation"): Row(admin_only(), at("/v1/reconciliation")),
    ("payouts", "GET", "/v1/simulated-bank/transfers"): Row(
        admin_only(), at("/v1/simulated-bank/transfers")
    ),
    ("payouts", "GET", "/v1/simulated-bank/payees"): Row(
        admin_only(), at("/v1/simulated-bank/payees")
    ),
    **_revocation_rows("payouts"),
    # probes, metrics and docs: public, and so they must name no party
    **{
        (service, "GET", path): Row(public(), at(path), bearer=False)
        for service in SERVICES
        for path in NOT_IN_SCHEMA
    },
}


@pytest.fixture(scope="module")
async def scene(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Scene]:
    async with running_stack(tmp_path_factory.mktemp("services")) as stack:
        try:
            yield await asyncio.to_thread(set_scene, stack)
        except Exception as error:
            raise AssertionError(f"{error}\n{stack.log_tails()}") from error


def test_every_route_of_every_service_has_a_row(scene: Scene) -> None:
    documented = {
        (service, method.upper(), path)
        for service, document in scene.openapi.items()
        for path, operations in document["paths"].items()
        for method in operations
    }
    served = set(_served_routes())
    schema_rows = {key for key, row in ROWS.items() if key[2] not in NOT_IN_SCHEMA}

    assert not documented - schema_rows, f"operations without a row: {documented - schema_rows}"
    assert not schema_rows - documented, f"rows of no operation: {schema_rows - documented}"
    assert not served - set(ROWS), f"routes without a row: {served - set(ROWS)}"
    assert not set(ROWS) - served, f"rows of no route: {set(ROWS) - served}"


def _served_routes() -> Iterator[tuple[str, str, str]]:
    """Every route of the three apps as built (HEAD is GET's), including those the OpenAPI
    document leaves out."""
    apps = {
        "orders": orders_app(OrdersSettings()),
        "ledger": ledger_app(LedgerSettings()),
        "payouts": payouts_app(PayoutsSettings()),
    }
    for service, app in apps.items():
        for route in iter_route_contexts(app.routes):
            for method in route.methods or ():
                if method != "HEAD" and route.path_format is not None:
                    yield service, method, route.path_format


async def test_every_endpoint_answers_every_principal_as_expected_and_leaks_nothing(
    scene: Scene,
) -> None:
    mismatches = await asyncio.to_thread(_run_matrix, scene)
    assert not mismatches, f"{len(mismatches)} cells wrong:\n" + "\n".join(mismatches)


def _run_matrix(scene: Scene) -> list[str]:
    mismatches: list[str] = []
    with httpx.Client(timeout=30) as client:
        for (service, method, route), row in ROWS.items():
            assert set(row.expect) == set(PRINCIPALS), route
            for principal in PRINCIPALS:
                call = row.target(scene, principal)
                response = client.request(
                    method,
                    scene.urls[service] + call.path,
                    params=call.params,
                    json=call.body,
                    headers=scene.headers[principal],
                )
                cell = f"{principal:>15} {method} {service}{call.path}: {response.status_code}"
                for problem in _check(scene, row, principal, call, response):
                    mismatches.append(f"{cell}: {problem} {response.text[:300]}")
    return mismatches


def _check(
    scene: Scene, row: Row, principal: str, call: Call, response: httpx.Response
) -> Iterator[str]:
    expected = row.expect[principal]
    if response.status_code != expected:
        yield f"expected {expected}"
        return
    body = response.text
    for secret in scene.tokens:
        if secret in body:
            yield "a token in the body"
    if response.status_code in REFUSALS:
        yield from _check_refusal(scene, row, principal, call, response)
    elif row.bearer is False:  # public: names no party
        yield from (f"names {name}" for name in scene.names() if name in body)
    elif principal in ("creator_own", "agency_own"):
        yield from _check_own_view(scene, principal, response)


def _check_refusal(
    scene: Scene, row: Row, principal: str, call: Call, response: httpx.Response
) -> Iterator[str]:
    if response.headers.get("content-type") != "application/problem+json":
        yield f"content-type {response.headers.get('content-type')}"
        return
    problem = response.json()
    if problem.get("status") != response.status_code:
        yield "problem status differs"
    if (
        row.bearer
        and principal in UNAUTHENTICATED
        and problem.get("reason") != UNAUTHENTICATED[principal]
    ):
        yield f"reason {problem.get('reason')!r}, not {UNAUTHENTICATED[principal]!r}"
    sent = call.sent()
    for name in scene.names():
        if name in response.text and name not in sent:
            yield f"names {name}"
    leaked = set(_integers(problem)) & set(scene.amounts.values())
    if leaked:
        yield f"amounts {sorted(leaked)}"


def _check_own_view(scene: Scene, principal: str, response: httpx.Response) -> Iterator[str]:
    """A creator or an agency sees neither the order's totals nor another party's leg."""
    if not response.headers.get("content-type", "").startswith("application/json"):
        return
    others = {
        name: amount
        for name, amount in scene.amounts.items()
        if not name.startswith(principal.split("_")[0])
    }
    seen = set(_integers(response.json()))
    for name, amount in others.items():
        if amount in seen:
            yield f"shows {name} {amount}"


def _integers(value: object) -> Iterator[int]:
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _integers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _integers(item)
