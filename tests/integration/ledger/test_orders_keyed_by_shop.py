"""An order is (shop_id, order_id) in the ledger: two shops may use one order id, each order
settles on its own shop, and reads keyed by an order id resolve the shop (DOMAIN.md "Orders
belong to their shop"); entries written before the change keep their shop (migration)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from sqlalchemy import text

from services.ledger.app import create_app
from services.ledger.settings import LedgerSettings
from shared.events.orders_v1 import OrderRefunded
from tests.integration.ledger.test_read_api import ADMIN, client_for, reader
from tests.support.infra import fresh_database
from tests.support.ledger_db import MIGRATIONS, LedgerDb, ledger_database, migrate
from tests.support.ledger_events import T0, Sent, new_id, placed


@pytest.fixture
async def two_shops() -> AsyncIterator[tuple[LedgerDb, FastAPI]]:
    async with ledger_database() as db:
        await db.fold(Sent(new_id(), placed("B-1001", shop_id="shop-a", creator_id="creator-a")))
        await db.fold(Sent(new_id(), placed("B-1001", shop_id="shop-b", creator_id="creator-b")))
        refund = OrderRefunded(
            order_id="B-1001",
            shop_id="shop-a",
            refund_id="r-1",
            amount=4299,
            occurred_at=T0,
            refunded_total=4299,
        )
        await db.fold(Sent(new_id(), refund))
        app = create_app(LedgerSettings(database_url_override=db.url))
        try:
            yield db, app
        finally:
            await app.state.runtime.engine.dispose()


async def test_two_shops_placing_one_order_id_each_settle_on_their_own_shop(
    two_shops: tuple[LedgerDb, FastAPI],
) -> None:
    db, _ = two_shops
    assert await db.balances("merchant", "shop-a") == {("GBP", "pending"): 0}
    assert await db.balances("merchant", "shop-b") == {("GBP", "pending"): 3303}
    assert await db.balances("creator", "creator-b") == {("GBP", "pending"): 516}


async def test_reading_entries_by_order_id_resolves_the_shop_or_asks_for_it(
    two_shops: tuple[LedgerDb, FastAPI],
) -> None:
    _, app = two_shops
    path = "/v1/orders/B-1001/entries"
    async with client_for(app) as client:
        ambiguous = await client.get(path, headers=ADMIN)
        shop_b = await client.get(path, params={"shop_id": "shop-b"}, headers=ADMIN)
        merchant_a = await client.get(path, headers=reader(app, "merchant", "shop-a"))
        merchant_a_asks_b = await client.get(
            path, params={"shop_id": "shop-b"}, headers=reader(app, "merchant", "shop-a")
        )
        creator_b = await client.get(path, headers=reader(app, "creator", "creator-b"))
    assert ambiguous.status_code == 409
    assert ambiguous.headers["content-type"].startswith("application/problem+json")
    assert ambiguous.json()["shops"] == ["shop-a", "shop-b"]
    assert shop_b.status_code == 200 and shop_b.json()["shop_id"] == "shop-b"
    assert [e["kind"] for e in shop_b.json()["entries"]] == ["order_placed"]
    assert merchant_a.status_code == 200
    assert [e["kind"] for e in merchant_a.json()["entries"]] == ["order_placed", "order_refund"]
    assert merchant_a_asks_b.status_code == 404  # another shop's order: as if it did not exist
    assert creator_b.status_code == 200 and creator_b.json()["shop_id"] == "shop-b"


def _upgrade(url: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, revision)


async def test_the_migration_keeps_every_existing_order_and_entry_on_its_shop(
    tmp_path: Path,
) -> None:
    async with fresh_database("ledger_legacy") as (url, engine):
        await asyncio.to_thread(_upgrade, url, "ledger_0003")
        order = placed("L-1", shop_id="shop-old")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO ledger_orders (order_id, placed, refunded_total, cancelled, "
                    "released, updated_at) VALUES ('L-1', CAST(:placed AS jsonb), 0, false, "
                    "false, now())"
                ),
                {"placed": order.model_dump_json()},
            )
            await conn.execute(
                text(
                    "INSERT INTO accounts VALUES "
                    "('merchant/shop-old/GBP/pending', 'merchant', 'shop-old', 'GBP', 'pending'), "
                    "('system/clearing/GBP/clearing', 'system', 'clearing', 'GBP', 'clearing')"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO journal_entries (id, event_id, order_id, kind, currency, "
                    "occurred_at, rule_version, details) VALUES "
                    "('00000000-0000-0000-0000-000000000001', 'e-1', 'L-1', 'order_placed', "
                    "'GBP', now(), 'split-2026-11.v1', '{}')"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO postings VALUES "
                    "('00000000-0000-0000-0000-000000000001', 1, "
                    "'merchant/shop-old/GBP/pending', 'GBP', 7, 'merchant_net', NULL, NULL, now()),"
                    "('00000000-0000-0000-0000-000000000001', 2, "
                    "'system/clearing/GBP/clearing', 'GBP', -7, 'clearing', NULL, NULL, now())"
                )
            )
        await migrate(url)
        async with engine.connect() as conn:
            row = (await conn.execute(text("SELECT shop_id, legacy FROM ledger_orders"))).one()
        assert (row.shop_id, row.legacy) == ("shop-old", True)
        app = create_app(LedgerSettings(database_url_override=url))
        try:
            async with client_for(app) as client:
                entries = await client.get("/v1/orders/L-1/entries", headers=ADMIN)
                mine = await client.get(
                    "/v1/orders/L-1/entries", headers=reader(app, "merchant", "shop-old")
                )
        finally:
            await app.state.runtime.engine.dispose()
        assert entries.status_code == 200 and entries.json()["shop_id"] == "shop-old"
        assert [e["event_id"] for e in entries.json()["entries"]] == ["e-1"]
        assert mine.status_code == 200
