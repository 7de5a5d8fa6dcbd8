"""Access to the real PostgreSQL and Kafka that `make test` starts (deploy/local/*.sh).

Integration tests fail, never skip, when the infrastructure is missing: a silent skip would let a
green run hide that nothing real was exercised.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.engine import make_engine
from shared.settings import ServiceSettings

SETTINGS = ServiceSettings(service_name="tests", http_port=8000)
KAFKA_BOOTSTRAP = SETTINGS.kafka_bootstrap_servers


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


async def _admin_connection() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(
            host=SETTINGS.pg_host,
            port=SETTINGS.pg_port,
            user=SETTINGS.pg_user,
            password=SETTINGS.pg_password.get_secret_value(),
            database="postgres",
            timeout=5,
        )
    except (OSError, asyncpg.PostgresError) as error:
        raise RuntimeError(
            f"PostgreSQL is not reachable at {SETTINGS.pg_host}:{SETTINGS.pg_port} ({error}); "
            "run the tests through `make test`, which starts it"
        ) from error


def as_role(url: str, role: str) -> str:
    """``url`` logged in as ``role`` (the owner or a service role of deploy/postgres/roles.sql)."""
    password = (
        SETTINGS.db_owner_password if role == SETTINGS.db_owner_user else SETTINGS.db_password
    )
    changed = make_url(url).set(username=role, password=password.get_secret_value())
    return changed.render_as_string(hide_password=False)


@asynccontextmanager
async def fresh_database(
    prefix: str = "test", *, owner: str | None = None
) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A new, empty database for one test (dropped afterwards) and an engine bound to it, both
    as the cluster's administrator; ``owner`` (e.g. the migrations' owner role) owns it."""
    name = unique_name(prefix)
    admin = await _admin_connection()
    try:
        await admin.execute(f'CREATE DATABASE "{name}"' + (f' OWNER "{owner}"' if owner else ""))
    finally:
        await admin.close()
    url = SETTINGS.model_copy(update={"database_name": name}).admin_database_url
    engine = make_engine(url, pool_size=20)
    try:
        yield url, engine
    finally:
        await engine.dispose()
        admin = await _admin_connection()
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def wait_until(
    predicate: Callable[[], Awaitable[bool]], timeout_s: float, interval_s: float = 0.05
) -> None:
    """Poll an async predicate until it is true; fail after `timeout_s` (bounded loop)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        if await predicate():
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(interval_s)
