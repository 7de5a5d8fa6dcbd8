"""Least privilege in PostgreSQL (deploy/postgres/roles.sql, shared/db/migrations.py): the owner
role migrates and owns the journal and its triggers; the ledger's service role can read and
append to the journal but not change it, bypass its triggers or alter its tables."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from shared.db.migrations import upgrade_to_head
from tests.support.infra import SETTINGS, as_role, fresh_database

LEDGER_MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "ledger" / "migrations"
JOURNAL = ("journal_entries", "postings")


@asynccontextmanager
async def _ledger_as(role: str) -> AsyncIterator[asyncpg.Connection]:
    async with fresh_database("roles", owner=SETTINGS.db_owner_user) as (url, _):
        owner_url = as_role(url, SETTINGS.db_owner_user)
        await asyncio.to_thread(
            upgrade_to_head, LEDGER_MIGRATIONS, owner_url, grant_to="ledger_service"
        )
        login = make_url(as_role(url, role))
        conn = await asyncpg.connect(
            host=login.host,
            port=login.port,
            user=login.username,
            password=login.password,
            database=login.database,
        )
        try:
            yield conn
        finally:
            await conn.close()


async def test_the_owner_role_owns_every_table_and_is_no_superuser() -> None:
    async with _ledger_as(SETTINGS.db_owner_user) as conn:
        owners = await conn.fetch(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
        )
        superuser = await conn.fetchval(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
        )
    assert [row[0] for row in owners] == [SETTINGS.db_owner_user]
    assert superuser is False


async def test_the_service_role_reads_and_appends_but_cannot_change_the_journal() -> None:
    async with _ledger_as("ledger_service") as conn:
        privileges = {
            (table, privilege): await conn.fetchval(
                "SELECT has_table_privilege(current_user, $1, $2)", table, privilege
            )
            for table in JOURNAL
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
        }
        state_table = await conn.fetchval(
            "SELECT has_table_privilege(current_user, 'ledger_orders', 'UPDATE')"
        )
        attempts = [
            "UPDATE postings SET amount = amount",
            "DELETE FROM journal_entries",
            "TRUNCATE postings",
            "ALTER TABLE postings DISABLE TRIGGER ALL",
            "ALTER TABLE journal_entries DISABLE TRIGGER journal_entries_append_only",
            "DROP TRIGGER postings_append_only ON postings",
            "DROP TABLE postings",
            "SET session_replication_role = replica",
            "CREATE TABLE shadow (id int)",
            "UPDATE alembic_version SET version_num = 'x'",
        ]
        refused = {}
        for statement in attempts:
            with pytest.raises(asyncpg.PostgresError) as caught:
                await conn.execute(statement)
            refused[statement] = caught.value.sqlstate
        role = await conn.fetchrow(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )

    for table in JOURNAL:
        assert privileges[(table, "SELECT")] and privileges[(table, "INSERT")]
        assert not any(privileges[(table, p)] for p in ("UPDATE", "DELETE", "TRUNCATE"))
    assert state_table is True  # the fold's own state is updated in place
    # 42501 insufficient_privilege (grants, session_replication_role); owner-only DDL says so too
    assert set(refused.values()) == {"42501"}, refused
    assert (role["rolsuper"], role["rolbypassrls"]) == (False, False)
