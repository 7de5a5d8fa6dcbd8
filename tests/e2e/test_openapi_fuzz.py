"""Schemathesis over the three services' OpenAPI documents, on the real stack: whatever a request
holds, no answer is a 5xx and every error is `application/problem+json` (STYLE.md rule 4: an
expected failure is never a 500).

Each operation gets a few deterministic examples (derandomized, no example database), sent with
the admin token so they reach the handlers past authentication, and again without a token.
Nothing is excluded: no endpoint stops the stack, and a payout run that moves money, a rotated
secret or a revoked made-up party harm nothing the test reads afterwards.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.strategies import SearchStrategy
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from settlement_cli.client import SettlementClient
from shared.http.problems import PROBLEM_MEDIA_TYPE
from tests.support.e2e import wait_until_ready
from tests.support.service_stack import SERVICES, Stack, running_stack

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = 40


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    async with running_stack(tmp_path_factory.mktemp("services")) as running:
        with SettlementClient(running.endpoints) as client:
            wait_until_ready(client)
        yield running


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as opened:
        yield opened


@pytest.mark.parametrize("service", SERVICES)
def test_no_request_gets_a_server_error_and_every_error_is_a_problem(
    service: str, stack: Stack, session: requests.Session
) -> None:
    base_url = getattr(stack.endpoints, service)
    document = httpx.get(f"{base_url}/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(document)
    schema.config.update(base_url=base_url)
    admin = {"Authorization": f"Bearer {stack.endpoints.admin_token}"}
    failures = []
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert len(operations) == len([m for item in document["paths"].values() for m in item]), (
        "every operation of the document is fuzzed"
    )
    for operation in operations:
        for mode in GenerationMode:
            try:
                _fuzz(operation.as_strategy(mode), admin, session)
            except AssertionError as failure:
                failures.append(f"{operation.label} ({mode}): {failure}")
    assert not failures, "\n".join(failures)


def _fuzz(
    cases: SearchStrategy[schemathesis.Case[Any]], admin: dict[str, str], session: requests.Session
) -> None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        print_blob=False,
    )
    @given(case=cases)
    def answers_as_promised(case: schemathesis.Case[Any]) -> None:
        for headers in (admin, {}):
            _check(case.call(headers=headers, session=session, timeout=30), bool(headers))

    answers_as_promised()


def _check(response: schemathesis.Response, as_admin: bool) -> None:
    request = response.request
    what = f"{request.method} {request.url} ({'admin' if as_admin else 'no token'})"
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text}"
    if response.status_code >= 400:
        headers = {name.lower(): values for name, values in response.headers.items()}
        content_type = ",".join(headers.get("content-type", []))
        assert content_type == PROBLEM_MEDIA_TYPE, f"{what}: {content_type} {response.text}"
        problem: dict[str, Any] = response.json()
        assert problem["status"] == response.status_code, f"{what}: {response.text}"


CONTROL_CHARACTERS = ("a\x00b", "\x1f", "a\x7f")  # NUL: PostgreSQL text cannot hold it
PLAIN = {"party_type": "creator"}  # a known one, so the party id is read too


@pytest.mark.parametrize("service", SERVICES)
def test_a_control_character_in_any_id_of_a_path_or_query_is_a_problem_not_a_500(
    service: str, stack: Stack
) -> None:
    """Every string parameter of every operation, one at a time (the others' values plain):
    the generator above rarely puts a NUL in a URL, so these are spelled out."""
    base_url = getattr(stack.endpoints, service)
    document = httpx.get(f"{base_url}/openapi.json", timeout=10).json()
    admin = {"Authorization": f"Bearer {stack.endpoints.admin_token}"}
    failures = []
    with httpx.Client(base_url=base_url, headers=admin, timeout=30) as client:
        for method, url, params in _with_a_control_character(document):
            response = client.request(method, url, params=params)
            content_type = response.headers.get("content-type")
            if response.status_code >= 500 or (
                response.status_code >= 400 and content_type != PROBLEM_MEDIA_TYPE
            ):
                failures.append(
                    f"{method} {url} {params!r}: {response.status_code} {response.text[:200]}"
                )
    assert not failures, "\n".join(failures)


def _with_a_control_character(
    document: dict[str, Any],
) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(method, URL, query) for each string parameter of each operation and each value of
    `CONTROL_CHARACTERS`, the operation's other path parameters plain."""
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            parameters = list(_string_parameters(operation))
            plain = {name: PLAIN.get(name, "x") for name, where in parameters if where == "path"}
            for (name, where), value in itertools.product(parameters, CONTROL_CHARACTERS):
                if where == "path":
                    yield method.upper(), path.format(**(plain | {name: quote(value, safe="")})), {}
                else:
                    yield method.upper(), path.format(**plain), {name: value}


def _string_parameters(operation: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        types = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
        if "string" in types and parameter["in"] in ("path", "query"):
            yield parameter["name"], parameter["in"]
