"""`python -m services.<name> migrate|serve`: the same two commands for every service."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from shared.db.migrations import upgrade_to_head
from shared.logging import configure_logging
from shared.settings import ServiceSettings


def main(
    settings_factory: Callable[[], ServiceSettings],
    create_app: Callable[[ServiceSettings], FastAPI],
    migrations_dir: Path,
    argv: list[str] | None = None,
    *,
    app_factory: str | None = None,
) -> None:
    """``app_factory`` (``"module:function"``, settings from the environment) lets ``serve`` run
    ``settings.http_workers`` processes; without it a service runs one."""
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "serve"
    settings = settings_factory()
    configure_logging(settings.service_name, settings.log_level)
    if command == "migrate":
        upgrade_to_head(
            migrations_dir, settings.migration_database_url, grant_to=_service_role(settings)
        )
    elif command == "serve":
        workers = settings.http_workers
        if workers > 1 and app_factory is None:
            raise SystemExit(f"{settings.service_name} runs one process (http_workers=1)")
        uvicorn.run(
            app_factory if workers > 1 and app_factory else create_app(settings),
            factory=workers > 1,
            workers=workers,
            host=settings.http_host,
            port=settings.http_port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=10,
        )
    else:
        raise SystemExit(f"usage: python -m services.{settings.service_name} migrate|serve")


def _service_role(settings: ServiceSettings) -> str | None:
    """The role to grant to: the one the service serves as, when migrations run as another."""
    serving = make_url(settings.database_url).username
    migrating = make_url(settings.migration_database_url).username
    return serving if serving and serving != migrating else None
