"""Issuing and revoking read tokens over HTTP, with the revocations sent to a fake broker."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from shared.auth import RevocationList, RevocationsUnavailable, TokenAuthority
from shared.db.outbox import OutgoingRecord
from shared.events import auth_v1
from shared.events.envelope import from_kafka
from shared.http.auth import PrincipalDep, require_read_access, tokens_router
from shared.http.problems import install_problem_handlers
from shared.http.token_revocations import token_revocations_router
from shared.service.token_revocations import TokenRevocations

ADMIN = "admin-secret-0123456789"
NOW = datetime(2025, 3, 1, 12, 0, 0, 250_000, tzinfo=UTC)
PROBLEMS = "https://settlement.example/problems/"
TOPIC = "auth.revocations.test"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class FakeBroker:
    def __init__(self) -> None:
        self.records: list[OutgoingRecord] = []
        self.down = False

    async def send_batch(self, records: Sequence[OutgoingRecord]) -> None:
        if self.down:
            raise ConnectionError("the broker is away")
        self.records.extend(records)

    def events(self) -> list[auth_v1.AuthEvent]:
        return [auth_v1.parse_envelope(from_kafka(r.key, r.value, r.headers)) for r in self.records]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def broker() -> FakeBroker:
    return FakeBroker()


@pytest.fixture
def revocations() -> RevocationList:
    return RevocationList()


@pytest.fixture
async def client(
    clock: Clock, broker: FakeBroker, revocations: RevocationList
) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.state.token_authority = TokenAuthority(
        ADMIN,
        b"k" * 32,
        clock,
        read_token_ttl=timedelta(hours=1),
        max_read_token_ttl=timedelta(days=2),
        revocations=revocations,
    )
    app.state.token_revocations = TokenRevocations(
        bootstrap_servers="127.0.0.1:1",
        topic=TOPIC,
        client_id="test",
        revocations=revocations,
        send=broker.send_batch,
        clock=clock,
    )
    install_problem_handlers(app)
    app.include_router(tokens_router())
    app.include_router(token_revocations_router())

    @app.get("/v1/balances/{party_type}/{party_id}")
    async def balance(party_type: str, party_id: str, principal: PrincipalDep) -> dict[str, int]:
        require_read_access(principal, party_type, party_id)
        return {"available": 0}

    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def issue(
    client: httpx.AsyncClient, party_id: str = "c-1", **extra: object
) -> dict[str, Any]:
    body = {"party_type": "creator", "party_id": party_id, **extra}
    response = await client.post("/v1/tokens", json=body, headers=ADMIN_HEADERS)
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


async def reads(client: httpx.AsyncClient, token: str, party_id: str = "c-1") -> httpx.Response:
    return await client.get(f"/v1/balances/creator/{party_id}", headers=bearer(token))


def problem_type(response: httpx.Response) -> str:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return str(response.json()["type"]).removeprefix(PROBLEMS)


async def test_a_token_says_its_id_and_key_id_and_lives_the_default_lifetime(
    client: httpx.AsyncClient,
) -> None:
    issued = await issue(client)

    assert issued["token"].startswith("rt2.default.")
    assert issued["key_id"] == "default"
    assert len(issued["token_id"]) == 32
    assert issued["expires_at"] == "2025-03-01T13:00:00Z"


async def test_a_token_may_be_asked_for_a_shorter_or_longer_life_up_to_the_maximum(
    client: httpx.AsyncClient,
) -> None:
    short = await issue(client, expires_in=600)
    longest = await issue(client, expires_in=2 * 86_400)
    too_long = await client.post(
        "/v1/tokens",
        json={"party_type": "creator", "party_id": "c-1", "expires_in": 2 * 86_400 + 1},
        headers=ADMIN_HEADERS,
    )
    too_short = await client.post(
        "/v1/tokens",
        json={"party_type": "creator", "party_id": "c-1", "expires_in": 59},
        headers=ADMIN_HEADERS,
    )

    assert short["expires_at"] == "2025-03-01T12:10:00Z"
    assert longest["expires_at"] == "2025-03-03T12:00:00Z"
    assert (too_long.status_code, problem_type(too_long)) == (422, "token-lifetime-too-long")
    assert (too_short.status_code, problem_type(too_short)) == (422, "validation-error")


async def test_a_party_id_of_200_characters_gets_a_token_that_reads_it(
    client: httpx.AsyncClient,
) -> None:
    party_id = "创" * 200
    issued = await issue(client, party_id)

    assert (await reads(client, issued["token"], party_id)).status_code == 200


async def test_a_token_revoked_by_itself_is_refused_as_revoked_and_published_by_id(
    client: httpx.AsyncClient, broker: FakeBroker
) -> None:
    issued, kept = await issue(client), await issue(client)

    response = await client.post(
        "/v1/tokens/revocations", json={"token": issued["token"]}, headers=ADMIN_HEADERS
    )

    assert response.status_code == 201, response.text
    assert response.json()["token_id"] == issued["token_id"]
    refused = await reads(client, issued["token"])
    assert (refused.status_code, refused.json()["reason"]) == (401, "revoked")
    assert 'error_description="revoked"' in refused.headers["www-authenticate"]
    assert (await reads(client, kept["token"])).status_code == 200
    [record] = broker.records
    assert (record.topic, record.key) == (TOPIC, f"token:{issued['token_id']}".encode())
    [event] = broker.events()
    assert isinstance(event, auth_v1.TokenRevoked)
    assert event.expires_at == datetime(2025, 3, 1, 13, 0, tzinfo=UTC)


async def test_a_token_revoked_by_id_is_remembered_for_the_longest_lifetime(
    client: httpx.AsyncClient, broker: FakeBroker
) -> None:
    issued = await issue(client)

    response = await client.post(
        "/v1/tokens/revocations", json={"token_id": issued["token_id"]}, headers=ADMIN_HEADERS
    )

    assert response.status_code == 201
    assert response.json()["expires_at"] == "2025-03-31T12:00:00.250000Z"
    assert (await reads(client, issued["token"])).json()["reason"] == "revoked"
    assert len(broker.records) == 1


@pytest.mark.parametrize(
    "body",
    [{}, {"token": "x", "token_id": "y"}, {"token_id": "not an id"}, {"jti": "abc"}],
)
async def test_a_revocation_names_exactly_one_token(
    client: httpx.AsyncClient, body: dict[str, str]
) -> None:
    response = await client.post("/v1/tokens/revocations", json=body, headers=ADMIN_HEADERS)

    assert (response.status_code, problem_type(response)) == (422, "validation-error")


async def test_a_token_that_does_not_verify_cannot_be_revoked_by_itself(
    client: httpx.AsyncClient, broker: FakeBroker
) -> None:
    response = await client.post(
        "/v1/tokens/revocations", json={"token": "rt2.k9.a.b"}, headers=ADMIN_HEADERS
    )

    assert (response.status_code, problem_type(response)) == (422, "token-not-revocable")
    assert response.json()["reason"] == "unknown_key"
    assert broker.records == []


async def test_only_the_admin_revokes(client: httpx.AsyncClient) -> None:
    issued = await issue(client)

    by_itself = await client.post(
        "/v1/tokens/revocations", json={"token": issued["token"]}, headers=bearer(issued["token"])
    )
    party = await client.post(
        "/v1/tokens/party-revocations",
        json={"party_type": "creator", "party_id": "c-1"},
        headers=bearer(issued["token"]),
    )
    anonymous = await client.post("/v1/tokens/revocations", json={"token": issued["token"]})

    assert (by_itself.status_code, party.status_code, anonymous.status_code) == (403, 403, 401)
    assert (await reads(client, issued["token"])).status_code == 200


async def test_revoking_a_party_refuses_its_earlier_tokens_but_not_later_or_others(
    client: httpx.AsyncClient, clock: Clock, broker: FakeBroker
) -> None:
    earlier, other = await issue(client), await issue(client, "c-2")

    response = await client.post(
        "/v1/tokens/party-revocations",
        json={"party_type": "creator", "party_id": "c-1"},
        headers=ADMIN_HEADERS,
    )
    clock.now += timedelta(seconds=1)
    later = await issue(client)

    assert response.status_code == 201, response.text
    assert response.json()["issued_before"] == "2025-03-01T12:00:00.250000Z"
    assert (await reads(client, earlier["token"])).json()["reason"] == "revoked"
    assert (await reads(client, later["token"])).status_code == 200
    assert (await reads(client, other["token"], "c-2")).status_code == 200
    [record] = broker.records
    assert record.key == b"party:creator:c-1"


async def test_a_party_revocation_never_narrows_one_already_made_and_is_not_in_the_future(
    client: httpx.AsyncClient, broker: FakeBroker
) -> None:
    async def revoke(issued_before: str | None) -> httpx.Response:
        body = {"party_type": "creator", "party_id": "c-1", "issued_before": issued_before}
        return await client.post("/v1/tokens/party-revocations", json=body, headers=ADMIN_HEADERS)

    now = await revoke(None)
    earlier = await revoke("2025-03-01T11:00:00Z")
    future = await revoke("2025-03-01T13:00:00+01:00")  # 12:00 UTC: now, allowed
    later = await revoke("2025-03-01T12:00:01Z")
    naive = await revoke("2025-03-01T11:00:00")

    assert now.json()["issued_before"] == earlier.json()["issued_before"]
    assert future.status_code == 201
    assert (later.status_code, problem_type(later)) == (422, "invalid-revocation")
    assert (naive.status_code, problem_type(naive)) == (422, "validation-error")
    assert len(broker.records) == 3


async def test_a_revocation_the_broker_did_not_take_is_a_503_and_revokes_nothing(
    client: httpx.AsyncClient, broker: FakeBroker
) -> None:
    issued = await issue(client)
    broker.down = True

    response = await client.post(
        "/v1/tokens/revocations", json={"token": issued["token"]}, headers=ADMIN_HEADERS
    )

    assert (response.status_code, problem_type(response)) == (503, "revocation-not-published")
    assert response.headers["retry-after"]
    assert (await reads(client, issued["token"])).status_code == 200


async def test_read_tokens_get_503_while_revocations_are_not_loaded_and_the_admin_works(
    client: httpx.AsyncClient, revocations: RevocationList, clock: Clock
) -> None:
    issued = await issue(client)
    revocations.attach_feed()

    waiting = await reads(client, issued["token"])
    admin = await client.get("/v1/balances/creator/c-1", headers=ADMIN_HEADERS)
    revocations.mark_current(clock.now)
    loaded = await reads(client, issued["token"])

    assert (waiting.status_code, problem_type(waiting)) == (503, "revocations-unavailable")
    assert waiting.headers["retry-after"] == "1"
    assert (admin.status_code, loaded.status_code) == (200, 200)


async def test_a_process_that_cannot_reach_the_broker_refuses_read_tokens_and_is_not_ready(
    client: httpx.AsyncClient, revocations: RevocationList, clock: Clock, broker: FakeBroker
) -> None:
    issued = await issue(client)
    feed = TokenRevocations(
        bootstrap_servers="127.0.0.1:1",  # nothing listens there
        topic=TOPIC,
        client_id="test",
        revocations=revocations,
        send=broker.send_batch,
        clock=clock,
    )
    stop = asyncio.Event()
    watching = asyncio.create_task(feed.watch(stop))
    try:
        await asyncio.sleep(0.3)
        refused = await reads(client, issued["token"])
        admin = await client.get("/v1/balances/creator/c-1", headers=ADMIN_HEADERS)
        with pytest.raises(RevocationsUnavailable):
            await feed.ready()
    finally:
        stop.set()
        await asyncio.wait_for(watching, 10)

    assert (refused.status_code, problem_type(refused)) == (503, "revocations-unavailable")
    assert admin.status_code == 200
