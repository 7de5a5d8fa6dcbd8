"""Every service's /metrics passes `promtool check metrics` (names, types, help, suffixes)."""

from __future__ import annotations

import asyncio
import importlib
import subprocess
from pathlib import Path

import httpx
import pytest

from shared.db.migrations import upgrade_to_head
from shared.settings import ServiceSettings
from tests.support.infra import fresh_database, unique_name

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {"orders": "OrdersSettings", "ledger": "LedgerSettings", "payouts": "PayoutsSettings"}


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_the_metrics_of_each_service_pass_promtool(service: str) -> None:
    settings_module = importlib.import_module(f"services.{service}.settings")
    app_module = importlib.import_module(f"services.{service}.app")
    async with fresh_database(f"metrics_{service}") as (url, _):
        settings: ServiceSettings = getattr(settings_module, SERVICES[service])(
            database_url_override=url,
            topic_orders=unique_name("orders"),
            topic_ledger=unique_name("ledger"),
            topic_payouts=unique_name("payouts"),
        )
        await asyncio.to_thread(upgrade_to_head, ROOT / "services" / service / "migrations", url)
        app = app_module.create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
                await client.get("/livez")  # so request metrics have a sample
                response = await client.get("/metrics")
    assert response.status_code == 200
    checked = await asyncio.to_thread(
        subprocess.run,
        ["promtool", "check", "metrics"],
        input=response.text,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0 and checked.stdout + checked.stderr == "", (
        checked.stdout + checked.stderr
    )
