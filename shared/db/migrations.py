"""Alembic glue shared by every service's `migrations/env.py`.

Each service keeps its own migration history; this module runs it against the service's database
with the async driver, under an advisory lock so replicas that start together migrate once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

_MIGRATION_LOCK = 0x0A1E3B1C


def upgrade_to_head(migrations_dir: Path, database_url: str) -> None:
    """Apply every pending migration of one service (idempotent)."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, "head")


def run_env(target_metadata: MetaData) -> None:
    """Body of a service's env.py: online migrations through an async engine."""
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("sqlalchemy.url is not set; run migrations through upgrade_to_head()")
    asyncio.run(_run_online(url, target_metadata))


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
