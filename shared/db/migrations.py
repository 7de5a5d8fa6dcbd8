"""Alembic glue shared by every service's `migrations/env.py`.

Each service keeps its own migration history; this module runs it against the service's database
with the async driver, under an advisory lock so replicas that start together migrate once.

Migrations run as the owner role, which owns every table and trigger. Given the service's role
(``grant_to``), they then grant it what serving needs and nothing more: SELECT, INSERT, UPDATE
and DELETE on the tables, but only SELECT and INSERT on the service's append-only tables (the
ledger's journal), and only SELECT on ``alembic_version``. The service role owns nothing, so it
cannot alter or drop a table or disable a trigger, and, not being a superuser, it cannot set
``session_replication_role`` to skip triggers. The grants are applied on every ``migrate``, so
a table added later is covered too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

_MIGRATION_LOCK = 0x0A1E3B1C


def upgrade_to_head(migrations_dir: Path, database_url: str, grant_to: str | None = None) -> None:
    """Apply every pending migration of one service (idempotent), then grant ``grant_to`` (the
    service's role, when it is not the one migrating) what serving needs."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["grant_to"] = grant_to
    command.upgrade(config, "head")


def run_env(target_metadata: MetaData, *, append_only: Sequence[str] = ()) -> None:
    """Body of a service's env.py: online migrations through an async engine; ``append_only``
    names the tables the service role may only read and insert into."""
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("sqlalchemy.url is not set; run migrations through upgrade_to_head()")
    grant_to = context.config.attributes.get("grant_to")
    asyncio.run(_run_online(url, target_metadata))
    if grant_to:
        asyncio.run(_grant(url, grant_to, append_only))


def grant_statements(role: str, append_only: Sequence[str]) -> list[str]:
    """What the service role ``role`` gets on the tables of schema public."""
    who = _quoted(role)
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {who}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {who}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {who}",
    ]
    statements += [
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {_quoted(table)} FROM {who}" for table in append_only
    ]
    return statements


async def _grant(url: str, role: str, append_only: Sequence[str]) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in grant_statements(role, append_only):
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


async def _run_online(url: str, target_metadata: MetaData) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f"SELECT pg_advisory_lock({_MIGRATION_LOCK})"))
            try:
                await conn.run_sync(_run_sync, target_metadata)
                await conn.commit()
            finally:
                await conn.execute(text(f"SELECT pg_advisory_unlock({_MIGRATION_LOCK})"))
                await conn.commit()
    finally:
        await engine.dispose()


def _run_sync(connection: Connection, target_metadata: MetaData) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
