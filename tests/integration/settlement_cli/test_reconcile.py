"""`settlement reconcile` against the three real services after settled business: exit code 0 when
they agree, 1 with both figures when a balance was changed behind the payouts service's back, and
a clean error when the payouts service does not answer."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from settlement_cli.main import app
from tests.support.service_stack import Stack, running_stack
from tests.support.settled_stack import Settled, payouts_database, settle

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Scene:
    stack: Stack
    settled: Settled


@pytest.fixture(scope="module")
async def scene(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Scene]:
    async with running_stack(tmp_path_factory.mktemp("services")) as stack:
        try:
            yield Scene(stack, await asyncio.to_thread(settle, stack))
        except Exception as error:
            raise AssertionError(f"{error}\n{stack.log_tails()}") from error


def reconcile(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["reconcile", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


async def test_reconcile_exits_0_when_the_services_agree(scene: Scene) -> None:
    code, out, err = await asyncio.to_thread(reconcile, scene.stack.cli_env)
    assert (code, err) == (0, "")
    assert "the payouts service and the ledger agree" in out


async def test_reconcile_prints_both_figures_and_exits_1_on_a_difference(scene: Scene) -> None:
    creator = scene.settled.creator_id
    change = (
        "UPDATE payee_balances SET available = available + :delta "
        "WHERE party_type = 'creator' AND party_id = :id AND currency = 'GBP'"
    )
    async with payouts_database(scene.stack) as engine:
        async with engine.begin() as conn:
            await conn.execute(text(change), {"delta": -40, "id": creator})
        try:
            code, out, _ = await asyncio.to_thread(reconcile, scene.stack.cli_env)
        finally:
            async with engine.begin() as conn:
                await conn.execute(text(change), {"delta": 40, "id": creator})
    assert code == 1
    rows = [line.split() for line in out.splitlines() if line.startswith(f"  creator/{creator}")]
    # The ledger says 516 available (two releases of 516, one clawed back); payouts now 476.
    assert rows == [[f"creator/{creator}", "GBP", "available", "476", "516", "-40"]]
    code, _, _ = await asyncio.to_thread(reconcile, scene.stack.cli_env)
    assert code == 0


async def test_reconcile_without_the_payouts_service_is_a_clean_error(scene: Scene) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    code, out, err = await asyncio.to_thread(
        reconcile, {**scene.stack.cli_env, "PAYOUTS_URL": dead}
    )
    assert (code, out) == (1, "")
    assert err.startswith(f"error: GET {dead}/v1/reconciliation: no answer")
    assert "Traceback" not in err
