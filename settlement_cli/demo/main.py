"""``settlement-demo``: play a seeded stretch of business through the running services and
print the settlement report (what ``make run`` runs once the system is up)."""

from __future__ import annotations

import sys

import typer

from settlement_cli.client import ApiError, SettlementClient
from settlement_cli.config import ConfigError, endpoints
from settlement_cli.demo.catch_up import Pipeline
from settlement_cli.demo.gather import gather_report
from settlement_cli.demo.play import play
from settlement_cli.demo.progress import Progress
from settlement_cli.demo.report import format_report
from settlement_cli.demo.scenario import build_scenario
from settlement_cli.demo.waiting import DemoTimeoutError
from shared.service.clock import utc_now


def run_demo(
    seed: int = typer.Option(2026, help="Seed of the scenario: the same seed, the same business."),
    orders_per_shop: int = typer.Option(10, min=1, max=500, help="Orders per shop (3 shops)."),
    run_id: str = typer.Option(
        "", help="Suffix of every id of the run (default: the UTC time, so runs never collide)."
    ),
) -> None:
    """Open shops in the UK, Indonesia and China with shop, open and targeted plans, sell
    through creators with and without agencies, deliver, refund (partly, fully, after release),
    cancel, let windows close, run payouts, then print who holds what and the trial balance."""
    now = utc_now()
    run = run_id or now.strftime("%m%d%H%M%S").lower()
    scenario = build_scenario(seed, run, now, orders_per_shop)
    progress = Progress()
    try:
        with SettlementClient(endpoints()) as client:
            result = play(client, scenario, Pipeline.from_env(), progress)
            report = gather_report(client, scenario, result)
    except (ApiError, ConfigError, DemoTimeoutError) as error:
        print(f"demo failed: {error}", file=sys.stderr)
        raise typer.Exit(1) from None
    print(format_report(report), flush=True)


def main() -> None:
    """Console script ``settlement-demo``."""
    app = typer.Typer(add_completion=False, rich_markup_mode=None)
    app.command()(run_demo)
    app()
