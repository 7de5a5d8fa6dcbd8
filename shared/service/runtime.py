"""What every service process runs besides its own logic: the engine, the Kafka sender, the outbox
relay and its metrics, background workers, and the probes. Each service's `app.py` composes one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, FastAPI
from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.auth import RevocationList, TokenAuthority
from shared.db.engine import make_engine, ping
from shared.db.outbox_relay import OutboxRelay
from shared.http.body_limit import BodyLimitMiddleware
from shared.http.health import health_router
from shared.http.metrics import instrument
from shared.http.problems import install_problem_handlers
from shared.http.request_id import RequestIdMiddleware
from shared.http.token_revocations import token_revocations_router
from shared.kafka.producer import KafkaSender
from shared.logging import get_logger
from shared.service.clock import utc_now
from shared.service.token_revocations import TokenRevocations
from shared.settings import ServiceSettings

Worker = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
_REVOCATIONS_LOAD_TIMEOUT_S = 30.0
log = get_logger(__name__)


@dataclass
class ServiceRuntime:
    """The adapters a service shares with its workers; built before the app starts serving."""

    settings: ServiceSettings
    engine: AsyncEngine
    sender: KafkaSender
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    workers: list[Worker] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> ServiceRuntime:
        return cls(
            settings=settings,
            engine=make_engine(
                settings.database_url,
                pool_size=settings.db_pool_size,
                application_name=settings.service_name,
                pool_pre_ping=settings.db_pool_pre_ping,
            ),
            sender=KafkaSender(settings.kafka_bootstrap_servers, client_id=settings.service_name),
        )

    def add_outbox_relay(self, outbox: Table) -> OutboxRelay:
        relay = OutboxRelay(
            self.engine,
            outbox,
            self.sender.send_batch,
            batch_size=self.settings.outbox_batch_size,
            poll_interval_s=self.settings.outbox_poll_interval_s,
            listen=True,  # every service's migrations install the outbox NOTIFY trigger
        )
        self.workers.append(relay.run)
        self.workers.append(_outbox_metrics(relay, self.registry))
        return relay

    async def kafka_reachable(self) -> None:
        """A TCP connection to a bootstrap server opens (cheap enough for every /readyz)."""
        errors: list[str] = []
        for server in self.settings.kafka_bootstrap_servers.split(","):
            host, _, port = server.strip().rpartition(":")
            try:
                _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 2)
            except (OSError, TimeoutError) as error:
                errors.append(f"{server}: {error or type(error).__name__}")
                continue
            writer.close()
            return
        raise ConnectionError("; ".join(errors))

    async def database_reachable(self) -> None:
        await ping(self.engine)


def build_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    body_limits: Mapping[str, int] | None = None,
) -> FastAPI:
    """A FastAPI app with problem+json errors, body limits, request ids, metrics, probes and the
    workers. Every request body is at most ``OPERATOR_BODY_LIMIT_BYTES`` (64 KiB) unless
    ``body_limits`` names another limit for its path template; it is checked before anything
    reads, authenticates or parses the request (``shared/http/body_limit.py``)."""
    settings = runtime.settings
    revocations = _token_revocations(runtime)
    runtime.workers.append(revocations.watch)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.sender.start()
        stop = asyncio.Event()
        tasks = [asyncio.create_task(worker(stop)) for worker in runtime.workers]
        # Serve once the revoked tokens are known; later, read tokens wait for them (503).
        if not await revocations.wait_loaded(_REVOCATIONS_LOAD_TIMEOUT_S):
            log.warning("token_revocations_not_loaded", timeout_s=_REVOCATIONS_LOAD_TIMEOUT_S)
        log.info("service_started", port=settings.http_port)
        try:
            yield
        finally:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 15)
            await runtime.sender.stop()
            await runtime.engine.dispose()
            log.info("service_stopped")

    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan)
    app.state.runtime = runtime
    app.state.token_revocations = revocations
    app.state.token_authority = TokenAuthority(
        admin_token=settings.admin_token.get_secret_value(),
        signing_keys=settings.signing_keys,
        clock=utc_now,
        read_token_ttl=settings.read_token_ttl,
        max_read_token_ttl=settings.read_token_max_ttl,
        revocations=revocations.revocations,
    )
    install_problem_handlers(app)
    for router in (*routers, token_revocations_router()):
        app.include_router(router)
    app.include_router(
        health_router(
            {
                "database": runtime.database_reachable,
                "kafka": runtime.kafka_reachable,
                "revocations": revocations.ready,
            }
        )
    )
    # Inside the metrics and the request id, so a 413 is counted and carries its id.
    app.add_middleware(BodyLimitMiddleware, limits=body_limits)
    instrument(app, settings.service_name, runtime.registry)
    app.add_middleware(RequestIdMiddleware)
    return app


def _token_revocations(runtime: ServiceRuntime) -> TokenRevocations:
    settings = runtime.settings
    return TokenRevocations(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        topic=settings.topic_revocations,
        client_id=f"{settings.service_name}-revocations",
        revocations=RevocationList(
            max_staleness=timedelta(seconds=settings.revocations_max_staleness_s)
        ),
        send=runtime.sender.send_batch,
        clock=utc_now,
        registry=runtime.registry,
    )


def _outbox_metrics(relay: OutboxRelay, registry: CollectorRegistry) -> Worker:
    unpublished = Gauge(
        "outbox_unpublished_rows", "Outbox rows committed but not yet on Kafka.", registry=registry
    )
    oldest = Gauge(
        "outbox_oldest_unpublished_age_seconds",
        "Age of the oldest outbox row not yet on Kafka, in seconds (0 when none).",
        registry=registry,
    )
    published = Counter(
        "outbox_published_records", "Outbox rows published to Kafka.", registry=registry
    )

    async def refresh(stop: asyncio.Event) -> None:
        reported = 0
        while not stop.is_set():
            try:
                backlog = await relay.backlog()
                unpublished.set(backlog.unpublished)
                oldest.set(backlog.oldest_age_seconds)
            except Exception as error:  # the database may be down; /readyz says so
                log.warning("outbox_backlog_unavailable", error=str(error))
            published.inc(relay.published_total - reported)
            reported = relay.published_total
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 2.0)

    return refresh
