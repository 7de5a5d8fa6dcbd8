"""Async SQLAlchemy engine for a service's own PostgreSQL database (asyncpg driver)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, exc, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def make_engine(
    url: str,
    *,
    pool_size: int = 10,
    application_name: str = "settlement",
    pool_pre_ping: bool = True,
) -> AsyncEngine:
    """An engine whose connections time out instead of hanging when PostgreSQL is unreachable.

    ``pool_pre_ping`` tests each connection at checkout (three round trips with asyncpg: BEGIN,
    a ping, ROLLBACK). Turned off, a checkout only replaces a connection the driver already
    knows is closed (no round trip); one that breaks unnoticed fails its first statement, and
    SQLAlchemy then drops the pool's older connections.
    """
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=pool_pre_ping,
        pool_timeout=10,
        connect_args={
            "timeout": 5,
            "command_timeout": 60,
            "server_settings": {"application_name": application_name, "timezone": "UTC"},
        },
    )
    if not pool_pre_ping:
        event.listen(engine.sync_engine.pool, "checkout", _replace_if_closed)
    return engine


def _replace_if_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Pool checkout hook: the pool retries with a new connection on DisconnectionError."""
    if dbapi_connection.driver_connection.is_closed():
        raise exc.DisconnectionError("the server closed this pooled connection")


async def ping(engine: AsyncEngine) -> None:
    """Raise if the database does not answer a trivial query."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
