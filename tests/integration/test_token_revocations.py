"""Revoked read tokens on the real broker: a token revoked through one service is refused by the
others within seconds, and by a service process started after the revocation from its very first
answer; the revocations topic is compacted, and a record nobody can read is skipped."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.auth import RevocationList
from shared.db.outbox import OutgoingRecord
from shared.kafka.producer import KafkaSender
from shared.service.token_revocations import TokenRevocations, ensure_revocations_topic
from tests.support.infra import KAFKA_BOOTSTRAP, unique_name
from tests.support.service_stack import Stack, free_port, running_stack

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PATH = "/v1/tokens"
REVOKE_WITHIN_S = 5.0


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """One stack for the module (each test uses its own parties and tokens)."""
    async with running_stack(tmp_path_factory.mktemp("stack")) as running:
        for url in (running.endpoints.orders, running.endpoints.ledger, running.endpoints.payouts):
            await _until_ready(url, 60)
        yield running


def _admin(stack: Stack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.endpoints.admin_token}"}


async def _until_ready(base_url: str, timeout_s: float) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=5) as client:
        for _ in range(int(timeout_s / 0.2)):
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{base_url} was not ready within {timeout_s}s")


def _revoked(response: httpx.Response) -> bool:
    return response.status_code == 401 and response.json().get("reason") == "revoked"


async def _issue(stack: Stack, party_id: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=stack.endpoints.orders, timeout=10) as client:
        response = await client.post(
            ADMIN_PATH,
            json={"party_type": "creator", "party_id": party_id},
            headers=_admin(stack),
        )
    assert response.status_code == 201, response.text
    issued: dict[str, str] = response.json()
    return issued


async def _probe(base_url: str, token: str) -> httpx.Response:
    """A request every service authenticates: a reader asking to revoke is authenticated first
    (then 403), so the status says whether the token itself was accepted."""
    async with httpx.AsyncClient(base_url=base_url, timeout=5) as client:
        return await client.post(
            "/v1/tokens/revocations",
            json={"token_id": "probe"},
            headers={"Authorization": f"Bearer {token}"},
        )


async def _refused_everywhere_within(
    urls: list[str], token: str, timeout_s: float
) -> dict[str, float]:
    """Seconds until each service answered 401 `revoked` (bounded polling)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    refused: dict[str, float] = {}
    while len(refused) < len(urls):
        for url in urls:
            if url not in refused and _revoked(await _probe(url, token)):
                refused[url] = loop.time() - started
        if loop.time() - started > timeout_s:
            raise AssertionError(f"not refused within {timeout_s}s by {set(urls) - set(refused)}")
        await asyncio.sleep(0.05)
    return refused


async def test_a_token_revoked_through_one_service_is_refused_by_every_service_within_seconds(
    stack: Stack,
) -> None:
    urls = [stack.endpoints.orders, stack.endpoints.ledger, stack.endpoints.payouts]
    revoked, kept = await _issue(stack, "c-rev-1"), await _issue(stack, "c-rev-1")
    for url in urls:
        assert (await _probe(url, revoked["token"])).status_code == 403  # authenticated reader

    async with httpx.AsyncClient(base_url=stack.endpoints.payouts, timeout=10) as client:
        response = await client.post(
            "/v1/tokens/revocations", json={"token": revoked["token"]}, headers=_admin(stack)
        )
    assert response.status_code == 201, response.text

    assert _revoked(await _probe(stack.endpoints.payouts, revoked["token"]))  # at once, here
    delays = await _refused_everywhere_within(urls, revoked["token"], REVOKE_WITHIN_S)
    assert max(delays.values()) < REVOKE_WITHIN_S
    for url in urls:
        assert (await _probe(url, kept["token"])).status_code == 403  # others still work


async def test_a_party_revocation_through_the_ledger_refuses_its_earlier_tokens_everywhere(
    stack: Stack,
) -> None:
    urls = [stack.endpoints.orders, stack.endpoints.ledger, stack.endpoints.payouts]
    earlier, other = await _issue(stack, "c-rev-2"), await _issue(stack, "c-rev-3")

    async with httpx.AsyncClient(base_url=stack.endpoints.ledger, timeout=10) as client:
        response = await client.post(
            "/v1/tokens/party-revocations",
            json={"party_type": "creator", "party_id": "c-rev-2"},
            headers=_admin(stack),
        )
    assert response.status_code == 201, response.text

    await _refused_everywhere_within(urls, earlier["token"], REVOKE_WITHIN_S)
    await asyncio.sleep(1.0)  # a token issued in the revocation's second is refused too
    later = await _issue(stack, "c-rev-2")
    for url in urls:
        assert (await _probe(url, later["token"])).status_code == 403
        assert (await _probe(url, other["token"])).status_code == 403


async def test_a_service_started_after_a_revocation_refuses_the_token_from_its_first_answer(
    stack: Stack, tmp_path: Path
) -> None:
    revoked, kept = await _issue(stack, "c-rev-4"), await _issue(stack, "c-rev-4")
    async with httpx.AsyncClient(base_url=stack.endpoints.orders, timeout=10) as client:
        response = await client.post(
            "/v1/tokens/revocations", json={"token_id": revoked["token_id"]}, headers=_admin(stack)
        )
    assert response.status_code == 201, response.text

    port = free_port()
    env = {
        **os.environ,
        **stack.cli_env,
        "SETTLEMENT_ENV": "local",
        "ORDERS_PORT": str(port),
        "ORDERS_DATABASE_URL": stack.database_urls["orders"],
    }
    with (tmp_path / "orders-2.log").open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.orders",
            "serve",
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )
    url = f"http://127.0.0.1:{port}"
    answers: list[int] = []
    try:
        async with httpx.AsyncClient(base_url=url, timeout=5) as client:
            for _ in range(300):  # bounded: 60 s at most
                try:
                    answer = await _probe(url, revoked["token"])
                except httpx.TransportError:
                    await asyncio.sleep(0.2)
                    continue
                answers.append(answer.status_code)
                assert _revoked(answer) or answer.status_code == 503, answer.text
                if (await client.get("/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError(f"the new process never became ready:\n{log.name}")
            assert _revoked(await _probe(url, revoked["token"]))
            assert (await _probe(url, kept["token"])).status_code == 403
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 20)
    assert answers  # the first answers were already refusals (401 revoked or 503), never 2xx/403


async def test_the_revocations_topic_is_compacted_and_a_record_nobody_can_read_is_skipped() -> None:
    topic = unique_name("auth_revocations_v1")
    await ensure_revocations_topic(KAFKA_BOOTSTRAP, topic)
    sender = KafkaSender(KAFKA_BOOTSTRAP, client_id="test-revocations")
    await sender.start()
    revocations = RevocationList()
    feed = TokenRevocations(
        bootstrap_servers=KAFKA_BOOTSTRAP,
        topic=topic,
        client_id="test-revocations",
        revocations=revocations,
        send=sender.send_batch,
        clock=lambda: datetime.now(UTC),
    )
    publisher = TokenRevocations(
        bootstrap_servers=KAFKA_BOOTSTRAP,
        topic=topic,
        client_id="test-publisher",
        revocations=RevocationList(),
        send=sender.send_batch,
        clock=lambda: datetime.now(UTC),
    )
    stop = asyncio.Event()
    await sender.send_batch([OutgoingRecord(topic, b"token:x", b"not json", [])])
    await publisher.revoke_token("t-before", datetime.now(UTC) + timedelta(hours=1))
    watching = asyncio.create_task(feed.watch(stop))
    try:
        for _ in range(200):  # bounded: 20 s
            if revocations.current_as_of is not None and len(revocations) == 1:
                break
            await asyncio.sleep(0.1)
        assert len(revocations) == 1
        await publisher.revoke_token("t-after")
        for _ in range(100):
            if len(revocations) == 2:
                break
            await asyncio.sleep(0.05)
        assert len(revocations) == 2
        assert await _topic_config(topic) == {
            "cleanup.policy": "compact,delete",
            "retention.ms": str(31 * 86_400_000),
        }
    finally:
        stop.set()
        await asyncio.wait_for(watching, 20)
        await sender.stop()


async def _topic_config(topic: str) -> dict[str, str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA_BOOTSTRAP)
    await admin.start()
    try:
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        await admin.close()
    [(_, _, _, _, entries)] = response.resources
    wanted = {"cleanup.policy", "retention.ms"}
    return {entry[0]: entry[1] for entry in entries if entry[0] in wanted}
