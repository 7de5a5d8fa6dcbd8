"""The demo and the operator CLI against the three real services (subprocesses on fresh
databases, unique topics and consumer groups), played once per module."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from typer.testing import CliRunner

from settlement_cli.client import SettlementClient
from settlement_cli.demo.gather import gather_report
from settlement_cli.demo.play import PlayResult, play
from settlement_cli.demo.progress import Progress
from settlement_cli.demo.report import SettlementReport, format_report
from settlement_cli.demo.scenario import Scenario, build_scenario
from settlement_cli.main import app
from shared.service.clock import utc_now
from tests.support.service_stack import Stack, running_stack

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Played:
    stack: Stack
    scenario: Scenario
    result: PlayResult
    report: SettlementReport
    progress: str
    entry_kinds: dict[str, list[str]]


def _play(stack: Stack, scenario: Scenario) -> Played:
    progress = io.StringIO()
    with SettlementClient(stack.endpoints) as client:
        result = play(client, scenario, stack.pipeline, Progress(progress))
        report = gather_report(client, scenario, result)
        kinds = {}
        for order in scenario.orders:
            entries = client.order_entries(order.order_id)
            kinds[order.order_id] = [e["kind"] for e in entries["entries"]] if entries else []
    return Played(stack, scenario, result, report, progress.getvalue(), kinds)


@pytest.fixture(scope="module")
async def played(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Played]:
    scenario = build_scenario(seed=11, run_id="it", now=utc_now(), orders_per_shop=10)
    async with running_stack(tmp_path_factory.mktemp("services")) as stack:
        try:
            yield await asyncio.to_thread(_play, stack, scenario)
        except Exception as error:
            raise AssertionError(f"{error}\n{stack.log_tails()}") from error


def test_the_demo_accepts_every_webhook_and_the_trial_balance_is_zero(played: Played) -> None:
    assert "webhooks accepted: 63/63" in played.progress
    totals = {t.currency: t.total for t in played.report.trial_balance}
    assert totals == {"GBP": 0, "IDR": 0, "CNY": 0}
    assert "balanced: every currency sums to zero" in format_report(played.report)


def test_what_the_parties_hold_is_what_buyers_paid_and_kept(played: Played) -> None:
    kept: dict[str, int] = defaultdict(int)
    for order in played.scenario.orders:
        if order.story != "cancelled":
            refunds = [h for h in (*order.events, *order.after_release) if "refund_id" in h.data]
            kept[order.currency] += order.paid_total - sum(h.data["amount"] for h in refunds)
    held: dict[str, int] = defaultdict(int)
    for balance in played.report.balances:
        held[balance.currency] += balance.pending + balance.available + balance.paid_out
    assert held == kept


def test_closed_windows_release_and_refunds_after_release_claw_back(played: Played) -> None:
    for order in played.scenario.orders:
        kinds = played.entry_kinds[order.order_id]
        assert ("order_released" in kinds) == order.releases, (order.story, kinds)
        if order.story == "refunded_after_release":
            assert kinds.index("order_clawback") > kinds.index("order_released")


def test_waiting_holds_say_when_they_release(played: Played) -> None:
    holds = played.report.holds
    assert {h.status for h in holds} == {"holding", "awaiting_delivery"}
    for hold in holds:
        due_later = hold.release_at is not None and hold.release_at > played.scenario.now
        assert due_later == (hold.status == "holding")


def test_every_merchant_was_paid_and_the_ledger_shows_it_paid_out(played: Played) -> None:
    paid = {(p.party_type, p.party_id) for p in played.report.payouts if p.status == "paid"}
    assert {("merchant", shop.shop_id) for shop in played.scenario.shops} <= paid
    for balance in played.report.balances:
        if (balance.party_type, balance.party_id) in paid:
            assert balance.paid_out > 0


def _cli(played: Played, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=played.stack.cli_env)
    return result.exit_code, result.stdout, result.stderr


async def test_the_cli_reads_balances_payouts_and_the_trial_balance(played: Played) -> None:
    shop = played.scenario.shops[0]
    code, out, _ = await asyncio.to_thread(_cli, played, "balances", "merchant", shop.shop_id)
    assert code == 0
    (row,) = json.loads(out)["balances"]
    (expected,) = [b for b in played.report.balances if b.party_id == shop.shop_id]
    assert (row["pending"], row["available"], row["paid_out"]) == (
        expected.pending,
        expected.available,
        expected.paid_out,
    )
    code, out, _ = await asyncio.to_thread(
        _cli, played, "payouts", "list", "--party-type", "merchant", "--party-id", shop.shop_id
    )
    assert code == 0
    assert [p["status"] for p in json.loads(out)["payouts"]] == ["paid"]
    code, out, _ = await asyncio.to_thread(_cli, played, "trial-balance")
    assert code == 0
    assert json.loads(out)["balanced"] is True


async def test_the_cli_prints_a_statement_as_csv(played: Played) -> None:
    shop = played.scenario.shops[1]
    code, out, _ = await asyncio.to_thread(
        _cli, played, "statement", "merchant", shop.shop_id, "--csv"
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    orders = {o.order_id for o in played.scenario.orders if o.shop_id == shop.shop_id}
    assert rows
    assert {row["order_id"] for row in rows if row["order_id"]} <= orders
    assert {row["currency"] for row in rows} == {shop.currency}


async def test_the_cli_explains_a_refused_request_and_exits_1(played: Played) -> None:
    code, _, err = await asyncio.to_thread(_cli, played, "balances", "nobody", "x")
    assert code == 1
    assert "422" in err
    assert "party_type must be one of" in err


async def test_a_replay_of_the_ledgers_inputs_has_the_live_ledgers_digest(played: Played) -> None:
    code, out, err = await asyncio.to_thread(_cli, played, "ledger", "replay")
    assert code == 0, err
    result = json.loads(out)
    assert result["matches"] is True
    assert result["replay"]["entries"] == result["live"]["entries"] > 0
    code, out, _ = await asyncio.to_thread(_cli, played, "dlq", "list")
    assert (code, json.loads(out)) == (0, [])


async def test_the_cli_opens_a_shop_adds_a_plan_and_lists_it(played: Played) -> None:
    code, out, _ = await asyncio.to_thread(_cli, played, "shops", "create", "cli-shop", "vn")
    assert code == 0
    assert json.loads(out)["currency"] == "VND"
    code, _, err = await asyncio.to_thread(
        _cli, played, "plans", "add", "cli-shop", "--type", "open", "--rate-bps", "1200",
        "--sku", "tea",
    )  # fmt: skip
    assert code == 0, err
    code, out, _ = await asyncio.to_thread(_cli, played, "plans", "list", "cli-shop")
    assert [(p["type"], p["rate_bps"], p["skus"]) for p in json.loads(out)] == [
        ("open", 1200, ["tea"])
    ]


async def test_the_cli_issues_a_read_token_and_revokes_it_and_the_ledger_refuses_it(
    played: Played,
) -> None:
    shop = played.scenario.shops[0]

    async def ledger_reads(token: str) -> int:
        async with httpx.AsyncClient(base_url=played.stack.endpoints.ledger, timeout=5) as client:
            url = f"/v1/balances/merchant/{shop.shop_id}"
            response = await client.get(url, headers={"Authorization": f"Bearer {token}"})
            return response.status_code

    code, out, err = await asyncio.to_thread(
        _cli, played, "token", "merchant", shop.shop_id, "--expires-in", "600"
    )
    assert code == 0, err
    issued = json.loads(out)
    assert await ledger_reads(issued["token"]) == 200

    code, out, err = await asyncio.to_thread(_cli, played, "revoke-token", issued["token_id"])
    assert code == 0, err
    assert json.loads(out)["token_id"] == issued["token_id"]
    for _ in range(100):  # bounded: 5 s
        if await ledger_reads(issued["token"]) == 401:
            break
        await asyncio.sleep(0.05)
    assert await ledger_reads(issued["token"]) == 401

    code, out, err = await asyncio.to_thread(
        _cli, played, "revoke-party-tokens", "creator", "cli-compromised-creator"
    )
    assert (code, json.loads(out)["party_id"]) == (0, "cli-compromised-creator"), err
