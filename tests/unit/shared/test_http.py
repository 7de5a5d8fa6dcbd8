import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import sqlalchemy.exc
import structlog
from fastapi import APIRouter, FastAPI
from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from shared.auth import TokenAuthority
from shared.http.auth import AdminDep, PrincipalDep, require_read_access, tokens_router
from shared.http.health import ReadinessCheck, health_router
from shared.http.metrics import instrument
from shared.http.problems import ProblemError, database_unavailable, install_problem_handlers
from shared.http.request_id import RequestIdMiddleware

ADMIN = "admin-secret-0123456789"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
PROBLEMS = "https://settlement.example/problems/"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class Item(BaseModel):
    sku: str
    quantity: int


def build_app(
    clock: Clock, registry: CollectorRegistry, checks: dict[str, ReadinessCheck] | None = None
) -> FastAPI:
    app = FastAPI()
    app.state.token_authority = TokenAuthority(ADMIN, b"k" * 32, clock)
    install_problem_handlers(app)
    instrument(app, "test", registry)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(health_router(checks or {}, timeout_s=0.05))
    app.include_router(tokens_router())

    orders = APIRouter(prefix="/orders")

    @orders.get("/{order_id}")
    async def get_order(order_id: str) -> dict[str, str]:
        return {"order_id": order_id}

    api = APIRouter()
    api.include_router(orders)
    app.include_router(api, prefix="/v1")

    @app.get("/v1/balances/{party_type}/{party_id}")
    async def balance(party_type: str, party_id: str, principal: PrincipalDep) -> dict[str, int]:
        require_read_access(principal, party_type, party_id)
        return {"available": 0}

    @app.post("/v1/payout-runs", status_code=202)
    async def payout_run(_: AdminDep) -> dict[str, str]:
        return {"status": "started"}

    @app.post("/v1/items")
    async def add_items(items: list[Item]) -> int:
        return len(items)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("database password is hunter2")

    @app.get("/database-down")
    async def database_down() -> None:
        try:
            raise asyncpg.exceptions.CannotConnectNowError("the database system is starting up")
        except asyncpg.PostgresError as error:  # as SQLAlchemy wraps what the driver raises
            raise sqlalchemy.exc.DBAPIError("SELECT 1", None, error) from error

    @app.get("/throttled")
    async def throttled() -> None:
        raise ProblemError(
            429,
            "Too many requests",
            "Slow down.",
            "rate-limited",
            {"limit": 10},
            {"Retry-After": "7"},
        )

    @app.get("/request-id")
    async def request_id() -> str:
        return str(structlog.contextvars.get_contextvars()["request_id"])

    return app


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
async def client(clock: Clock, registry: CollectorRegistry) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(build_app(clock, registry)) as http:
        yield http


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def problem(response: httpx.Response, status: int, type_suffix: str) -> dict[str, Any]:
    """Assert the RFC 9457 shape and return the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEMS + type_suffix
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == response.request.url.path
    return body


async def issue(client: httpx.AsyncClient, party_type: str, party_id: str) -> str:
    response = await client.post(
        "/v1/tokens", json={"party_type": party_type, "party_id": party_id}, headers=bearer(ADMIN)
    )
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


async def test_an_admin_issues_a_read_token_valid_for_a_day(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/v1/tokens", json={"party_type": "creator", "party_id": "creator-7"}, headers=bearer(ADMIN)
    )

    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["expires_at"] == "2025-03-02T12:00:00Z"
    assert response.json()["token"].startswith("rt2.default.")


async def test_a_read_token_reads_its_own_party_and_no_other(client: httpx.AsyncClient) -> None:
    token = await issue(client, "creator", "creator-7")

    own = await client.get("/v1/balances/creator/creator-7", headers=bearer(token))
    other = await client.get("/v1/balances/creator/creator-8", headers=bearer(token))
    admin = await client.get("/v1/balances/creator/creator-8", headers=bearer(ADMIN))

    assert own.status_code == 200
    assert problem(other, 403, "forbidden")["detail"] == "This token may not read that party."
    assert admin.status_code == 200


async def test_a_read_token_cannot_run_admin_commands_or_issue_tokens(
    client: httpx.AsyncClient,
) -> None:
    token = await issue(client, "merchant", "shop-1")

    run = await client.post("/v1/payout-runs", headers=bearer(token))
    mint = await client.post(
        "/v1/tokens", json={"party_type": "merchant", "party_id": "shop-2"}, headers=bearer(token)
    )

    problem(run, 403, "forbidden")
    problem(mint, 403, "forbidden")
    assert 'error="insufficient_scope"' in run.headers["www-authenticate"]
    assert (await client.post("/v1/payout-runs", headers=bearer(ADMIN))).status_code == 202


async def test_a_request_without_a_token_gets_401_with_a_bearer_challenge(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/v1/payout-runs")

    assert problem(response, 401, "unauthorized")["reason"] == "missing"
    assert response.headers["www-authenticate"] == 'Bearer realm="settlement"'


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        ("Bearer nope", "unknown_token"),
        ("Basic abc", "malformed"),
        ("Bearer rt1.x.y", "unsupported_version"),
        ("Bearer rt2.k9.x.y", "unknown_key"),
        ("Bearer rt2.default.x.y", "bad_signature"),
    ],
)
async def test_an_invalid_token_gets_401_saying_why(
    client: httpx.AsyncClient, authorization: str, reason: str
) -> None:
    response = await client.get("/v1/balances/creator/c", headers={"Authorization": authorization})

    assert problem(response, 401, "unauthorized")["reason"] == reason
    assert f'error_description="{reason}"' in response.headers["www-authenticate"]


async def test_an_expired_read_token_gets_401_saying_it_expired(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    token = await issue(client, "agency", "mcn-1")
    clock.now += timedelta(days=30)

    response = await client.get("/v1/balances/agency/mcn-1", headers=bearer(token))

    assert problem(response, 401, "unauthorized")["reason"] == "expired"


async def test_token_requests_are_authenticated_before_their_body_is_judged(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/v1/tokens", json={"party_type": "platform"})

    problem(response, 401, "unauthorized")


@pytest.mark.parametrize(
    "body",
    [
        {"party_type": "platform", "party_id": "p"},
        {"party_type": "creator", "party_id": ""},
        {"party_type": "creator", "party_id": "c" * 201},
        {"party_type": "creator", "party_id": "c", "ttl": 99},
        {"party_type": "creator"},
    ],
)
async def test_a_token_for_no_valid_party_is_refused(
    client: httpx.AsyncClient, body: dict[str, str]
) -> None:
    response = await client.post("/v1/tokens", json=body, headers=bearer(ADMIN))

    problem(response, 422, "validation-error")


async def test_an_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    problem(await client.get("/v1/nothing-here"), 404, "not-found")


async def test_a_wrong_method_is_a_405_problem_naming_the_allowed_ones(
    client: httpx.AsyncClient,
) -> None:
    response = await client.delete("/v1/orders/o-1")

    problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "GET"


async def test_an_invalid_body_is_a_422_listing_where_and_what_without_echoing_input(
    client: httpx.AsyncClient,
) -> None:
    huge = "x" * 100_000
    response = await client.post("/v1/items", json=[{"sku": "a", "quantity": huge}, {}])

    body = problem(response, 422, "validation-error")
    not_an_integer = "Input should be a valid integer, unable to parse string as an integer"
    assert body["errors"] == [
        {"loc": ["body", 0, "quantity"], "msg": not_an_integer},
        {"loc": ["body", 1, "sku"], "msg": "Field required"},
        {"loc": ["body", 1, "quantity"], "msg": "Field required"},
    ]
    assert len(response.content) < 1_000


async def test_a_body_that_is_not_json_is_a_422_problem(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/items", content=b"{nope", headers={"content-type": "application/json"}
    )

    assert problem(response, 422, "validation-error")["errors"][0]["msg"] == "JSON decode error"


async def test_an_unhandled_exception_is_a_generic_500_problem(client: httpx.AsyncClient) -> None:
    with structlog.testing.capture_logs() as logs:
        response = await client.get("/boom")

    body = problem(response, 500, "internal-error")
    assert "hunter2" not in response.text
    assert body["title"] == "Internal Server Error"
    assert [log["event"] for log in logs] == ["unhandled_exception"]
    assert logs[0]["exc_info"] is True


async def test_a_database_that_cannot_be_reached_is_a_503_problem_to_retry(
    client: httpx.AsyncClient,
) -> None:
    with structlog.testing.capture_logs() as logs:
        response = await client.get("/database-down")

    body = problem(response, 503, "database-unavailable")
    assert "Nothing was done" in body["detail"]
    assert response.headers["retry-after"] == "1"
    assert [log["event"] for log in logs] == ["database_unavailable"]
    assert not database_unavailable(ValueError("a bug"))
    assert database_unavailable(ConnectionRefusedError(111, "refused"))


async def test_a_problem_error_keeps_its_headers_and_extension_members(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/throttled")

    body = problem(response, 429, "rate-limited")
    assert (body["title"], body["detail"], body["limit"]) == ("Too many requests", "Slow down.", 10)
    assert response.headers["retry-after"] == "7"


def test_a_problem_error_may_not_redefine_standard_members() -> None:
    with pytest.raises(ValueError, match="status"):
        ProblemError(400, "Bad", extra={"status": 200})


async def test_metrics_label_requests_by_route_template_not_raw_path(
    client: httpx.AsyncClient, registry: CollectorRegistry
) -> None:
    await client.get("/v1/orders/o-1")
    await client.get("/v1/orders/o-2")
    await client.delete("/v1/orders/o-3")
    await client.get("/v1/nothing-here")
    await client.get("/boom")

    def count(method: str, route: str, status: str) -> float | None:
        labels = {"service": "test", "method": method, "route": route, "status": status}
        return registry.get_sample_value("http_requests_total", labels)

    assert count("GET", "/v1/orders/{order_id}", "200") == 2
    assert count("DELETE", "/v1/orders/{order_id}", "405") == 1
    assert count("GET", "unmatched", "404") == 1
    assert count("GET", "/boom", "500") == 1
    exposed = (await client.get("/metrics")).text
    assert "o-1" not in exposed
    assert "nothing-here" not in exposed
    duration = registry.get_sample_value(
        "http_request_duration_seconds_count",
        {"service": "test", "method": "GET", "route": "/v1/orders/{order_id}"},
    )
    assert duration == 2


async def test_unknown_methods_are_counted_as_other(
    client: httpx.AsyncClient, registry: CollectorRegistry
) -> None:
    await client.request("BREW", "/v1/orders/o-1")

    labels = {
        "service": "test",
        "method": "other",
        "route": "/v1/orders/{order_id}",
        "status": "405",
    }
    assert registry.get_sample_value("http_requests_total", labels) == 1


async def test_a_router_included_under_two_prefixes_is_labelled_by_each_template() -> None:
    registry = CollectorRegistry()
    app = FastAPI()
    instrument(app, "test", registry)
    shops = APIRouter()

    @shops.get("/shops/{shop_id}")
    async def shop(shop_id: str) -> str:
        return shop_id

    app.include_router(shops, prefix="/v1")
    app.include_router(shops, prefix="/v2")

    async with client_for(app) as http:
        await http.get("/v1/shops/s-1")
        await http.get("/v2/shops/s-1")

    for route in ("/v1/shops/{shop_id}", "/v2/shops/{shop_id}"):
        labels = {"service": "test", "method": "GET", "route": route, "status": "200"}
        assert registry.get_sample_value("http_requests_total", labels) == 1


async def test_metrics_are_served_in_the_text_format_0_0_4(client: httpx.AsyncClient) -> None:
    await client.get("/livez")

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "# TYPE http_requests_total counter" in response.text
    assert "# TYPE http_request_duration_seconds histogram" in response.text
    assert 'le="0.001"' in response.text
    assert 'le="2.5"' in response.text


async def test_two_instrumented_apps_in_one_process_keep_separate_counts(clock: Clock) -> None:
    first, second = CollectorRegistry(), CollectorRegistry()

    async with (
        client_for(build_app(clock, first)) as one,
        client_for(build_app(clock, second)) as two,
    ):
        await one.get("/livez")
        await one.get("/livez")
        await two.get("/livez")

    labels = {"service": "test", "method": "GET", "route": "/livez", "status": "200"}
    assert first.get_sample_value("http_requests_total", labels) == 2
    assert second.get_sample_value("http_requests_total", labels) == 1


async def fine() -> None:
    return None


async def broken() -> None:
    raise ConnectionRefusedError("postgres:5432 refused")


async def stuck() -> None:
    await asyncio.sleep(10)


async def test_livez_is_ok_even_when_dependencies_are_down(
    clock: Clock, registry: CollectorRegistry
) -> None:
    async with client_for(build_app(clock, registry, {"db": broken})) as http:
        response = await http.get("/livez")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ok_when_every_check_passes(
    clock: Clock, registry: CollectorRegistry
) -> None:
    async with client_for(build_app(clock, registry, {"db": fine, "kafka": fine})) as http:
        response = await http.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"db": "ok", "kafka": "ok"}}


async def test_readyz_is_503_naming_each_failed_check_and_why(
    clock: Clock, registry: CollectorRegistry
) -> None:
    checks: dict[str, ReadinessCheck] = {"db": broken, "kafka": stuck, "cache": fine}
    async with client_for(build_app(clock, registry, checks)) as http:
        with structlog.testing.capture_logs():
            response = await http.get("/readyz")

    body = problem(response, 503, "not-ready")
    assert body["checks"] == {"db": "failed", "kafka": "failed", "cache": "ok"}
    assert body["failures"] == {
        "db": "ConnectionRefusedError: postgres:5432 refused",
        "kafka": "timed out after 0.05s",
    }


async def test_the_request_id_is_bound_for_logging_and_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/request-id", headers={"X-Request-Id": "req-42"})

    assert response.json() == "req-42"
    assert response.headers["x-request-id"] == "req-42"
    assert "request_id" not in structlog.contextvars.get_contextvars()


@pytest.mark.parametrize("sent", [None, "", "has space", "x" * 129])
async def test_a_missing_or_unacceptable_request_id_is_replaced_by_a_fresh_one(
    client: httpx.AsyncClient, sent: str | None
) -> None:
    headers = {} if sent is None else {"X-Request-Id": sent}

    response = await client.get("/request-id", headers=headers)

    made = response.headers["x-request-id"]
    assert response.json() == made
    assert len(made) == 32
    assert made != sent


async def test_error_responses_carry_the_request_id_too(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/nothing-here", headers={"X-Request-Id": "req-404"})

    assert response.headers["x-request-id"] == "req-404"
