"""Prometheus request metrics and the `/metrics` endpoint.

Labels stay bounded: `route` is the route template with every router prefix
(`/v1/orders/{order_id}`), or `unmatched` when no route was selected; methods outside the
standard set count as `other`. Each app gets its own registry, so tests can build many apps in
one process.

Needs FastAPI >= 0.137.2: since 0.137 `scope["route"]` of an included route lacks the include
prefixes, so templates come from the public `fastapi.routing.iter_route_contexts()`.
"""

import time
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.routing import RouteContext, iter_route_contexts
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED_ROUTE = "unmatched"
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def instrument(
    app: FastAPI, service: str, registry: CollectorRegistry | None = None
) -> CollectorRegistry:
    """Count and time every HTTP request of `app` and serve `GET /metrics` from `registry`.

    Without a registry a fresh one is made (never the process-global default). Returns the
    registry, also kept on `app.state.metrics_registry`, so the service can add its own metrics.
    """
    registry = registry if registry is not None else CollectorRegistry()
    requests = Counter(
        "http_requests",
        "HTTP requests answered, by route template and status code.",
        ("service", "method", "route", "status"),
        registry=registry,
    )
    duration = Histogram(
        "http_request_duration_seconds",
        "Time from receiving a request to the end of its response, in seconds.",
        ("service", "method", "route"),
        buckets=DURATION_BUCKETS,
        registry=registry,
    )
    app.state.metrics_registry = registry
    app.add_middleware(
        MetricsMiddleware,
        service=service,
        requests=requests,
        duration=duration,
        templates=RouteTemplates(app),
    )

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_PLAIN_0_0_4)

    app.add_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
    return registry


class MetricsMiddleware:
    """Pure ASGI: records `http_requests_total` and `http_request_duration_seconds`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        service: str,
        requests: Counter,
        duration: Histogram,
        templates: "RouteTemplates",
    ) -> None:
        self.app = app
        self.service = service
        self.requests = requests
        self.duration = duration
        self.templates = templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Routing rewrites path, root_path and path params in place; keep what arrived.
        arrived = {
            key: scope[key] for key in ("type", "path", "root_path", "method") if key in scope
        }
        method = scope["method"] if scope["method"] in _METHODS else "other"
        status = 500  # what the client sees if the app raises before starting a response
        started = time.perf_counter()

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            elapsed = time.perf_counter() - started
            route = self.templates.resolve(scope.get("route"), arrived)
            self.requests.labels(self.service, method, route, str(status)).inc()
            self.duration.labels(self.service, method, route).observe(elapsed)


class RouteTemplates:
    """Finds the full template (every router prefix included) of the route a request selected."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app
        self._contexts: Sequence[RouteContext] | None = None
        self._by_route: dict[int, list[str]] = {}

    def resolve(self, selected: BaseRoute | None, arrived: dict[str, Any]) -> str:
        if selected is None:
            return UNMATCHED_ROUTE
        if self._contexts is None:
            self._index()
        templates = self._by_route.get(id(selected), [])
        if len(templates) == 1:
            return templates[0]
        # The same router included twice, a mounted sub-app, or a route added after the first
        # request: match the request as it arrived against every route's full template.
        return self._match(arrived)

    def _index(self) -> None:
        self._contexts = list(iter_route_contexts(self._app.routes))
        for context in self._contexts:
            template = context.path_format
            if template is not None:
                self._by_route.setdefault(id(context.original_route), []).append(template)

    def _match(self, arrived: dict[str, Any]) -> str:
        partial: str | None = None
        for context in self._contexts or ():
            match, _ = context.matches(arrived)
            if match is Match.FULL and context.path_format is not None:
                return context.path_format
            if match is Match.PARTIAL and partial is None:
                partial = context.path_format
        return partial or UNMATCHED_ROUTE
